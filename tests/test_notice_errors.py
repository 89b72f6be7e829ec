"""Every mistake in a notice.yaml is exit 2 naming the file and the field; anything unexpected is exit 70
with "please report" and never a bare traceback."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from invoke import Exit

from kjhdz_docs.errors import DataFileError, ExitCode
from kjhdz_docs.notice_data import load_notice_file
from tests import notice_shapes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tasks  # noqa: E402


@pytest.fixture(scope="module")
def y2025():
    return notice_shapes.shapes()["four-organs-2025"]


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems(tmp_path, data=None, text=None) -> list[str]:
    path = tmp_path / "2025" / "notice.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else _dump(data), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_notice_file(path)
    assert info.value.exit_code == ExitCode.BAD_DATA and str(path) in str(info.value)
    return info.value.problems


def test_the_2025_shape_is_valid(tmp_path, y2025):
    path = notice_shapes.write(y2025, tmp_path)
    assert load_notice_file(path).number == "国科发才〔2025〕31号"


def test_a_date_that_does_not_exist(tmp_path, y2025):
    text = _dump(y2025).replace("end: '2025-05-24'", "end: 2025-06-31").replace("end: 2025-05-24", "end: 2025-06-31")
    assert "2025-06-31" in text
    (p,) = problems(tmp_path, text=text)
    assert p.startswith("week.end:") and "2025-06-31" in p


def test_a_form_attached_twice(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["attachments"][1]["form"] = d["attachments"][0]["form"]
    ps = problems(tmp_path, d)
    assert any(p.startswith("attachments[1].form:") and "attached already" in p for p in ps), ps


def test_no_attachment_form_but_an_unknown_one(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["attachments"][0]["form"] = "summary"
    (p,) = problems(tmp_path, d)
    assert p.startswith("attachments[0].form:")


def test_a_note_that_contradicts_the_deadline(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    rec = next(i for i, a in enumerate(d["attachments"]) if a["form"] == "recommendations")
    d["attachments"][rec]["notes"][0] = "请于4月15日前将该表盖章扫描件及电子版反馈联系人邮箱。"   # last year's date
    (p,) = problems(tmp_path, d)
    assert p.startswith(f"attachments[{rec}].notes[0]:") and "4月15日前" in p and "4月18日" in p


def test_an_attachment_title_of_another_year(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["attachments"][0]["title"] = d["attachments"][0]["title"].replace("2025年", "2024年")
    (p,) = problems(tmp_path, d)
    assert p.startswith("attachments[0].title:") and "2024" in p


def test_deadlines_and_dates_out_of_order_or_year(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["deadlines"]["recommendations"] = "2025-06-01"       # after the week
    d["imprint"]["date"] = "2024-12-30"
    d["doc_number"]["year"] = 2024
    fields = sorted(p.split(":")[0] for p in problems(tmp_path, d))
    assert fields == ["attachments[1].notes[0]", "deadlines.recommendations", "doc_number.year", "imprint.date"]


def test_wrong_types_and_empty_lists(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["issuers"] = []
    d["title_lines"] = "科技部关于举办2025年全国科技活动周的通知"
    d["sections"][0]["subsections"][2]["items"] = "一项"
    fields = sorted(p.split(":")[0] for p in problems(tmp_path, d))
    assert fields == ["issuers", "sections[0].subsections[2].items", "title_lines"]


def test_a_key_written_twice(tmp_path, y2025):
    text = _dump(y2025).replace("\nnote:", "\ndisclosure: 主动公开\nnote:", 1)
    (p,) = problems(tmp_path, text=text)
    assert "disclosure" in p and "twice" in p and "line" in p


def test_empty_file_and_a_folder_in_its_place(tmp_path):
    (p,) = problems(tmp_path, text="")
    assert "mapping" in p
    folder = tmp_path / "other" / "notice.yaml"
    folder.mkdir(parents=True)
    with pytest.raises(DataFileError) as info:
        load_notice_file(folder)
    assert "cannot be read" in info.value.problems[0]


def test_an_over_long_title_line_is_warned_about_with_its_field(tmp_path, y2025):
    d = copy.deepcopy(y2025)
    d["title_lines"] = ["科技部 中央宣传部 市场监管总局 国家国防科工局关于举办", "2025年全国科技活动周的通知"]
    data = load_notice_file(notice_shapes.write(d, tmp_path))
    (w,) = data.layout_warnings()
    assert w.startswith("title_lines[0]:") and "wrap" in w
    assert not load_notice_file(notice_shapes.write(y2025, tmp_path / "ok")).layout_warnings()


def _invoke(tmp_path, *args, data_root=None):
    env = dict(os.environ, KJHDZ_BUILD=str(tmp_path / "build"))
    if data_root:
        env["KJHDZ_DATA"] = str(data_root)
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_invoke_build_notice_exits_2_with_file_and_field(tmp_path, y2025):
    data_root = tmp_path / "data"
    text = _dump(y2025).replace("end: '2025-05-24'", "end: 2025-06-31").replace("end: 2025-05-24", "end: 2025-06-31")
    (data_root / "2025").mkdir(parents=True)
    (data_root / "2025" / "notice.yaml").write_text(text, encoding="utf-8")
    proc = _invoke(tmp_path, "build-notice", "--year", "2025", data_root=data_root)
    assert proc.returncode == ExitCode.BAD_DATA, proc.stderr
    assert str(data_root / "2025" / "notice.yaml") in proc.stderr and "week.end" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "build").exists()


def test_an_unexpected_error_is_exit_70_saying_please_report(monkeypatch):
    def broken():
        return {}["imprint"]              # a bug, not a data error

    monkeypatch.delenv("KJHDZ_TRACEBACK", raising=False)
    with pytest.raises(Exit) as info:
        tasks._run(broken)
    assert info.value.code == ExitCode.INTERNAL == 70
    message = str(info.value.message)
    assert "please report" in message and "KeyError" in message and "in broken" in message
    assert "Traceback" not in message
    with pytest.raises(Exit) as info:
        tasks._run(broken, verbose=True)
    assert "Traceback" in str(info.value.message) and info.value.code == 70


def test_typed_errors_keep_their_codes():
    from kjhdz_docs.errors import MissingInputError

    def missing():
        raise MissingInputError("build/2025/notice is missing")

    with pytest.raises(Exit) as info:
        tasks._run(missing)
    assert info.value.code == ExitCode.MISSING_INPUT and "build/2025/notice" in info.value.message
