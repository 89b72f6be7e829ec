"""Loading and validating data/<year>/notice.yaml: errors name the file and the field."""

from __future__ import annotations

import copy

import pytest
import yaml

from kjhdz_docs.errors import DataFileError, ExitCode
from kjhdz_docs.notice_data import chinese_number, load_notice, load_notice_file, notice_path


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(notice_path(2024).read_text(encoding="utf-8"))


def write(tmp_path, data, name="notice.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_of(path):
    with pytest.raises(DataFileError) as info:
        load_notice_file(path)
    assert info.value.exit_code == ExitCode.BAD_DATA
    assert str(path) in str(info.value)
    return info.value.problems


def test_2024_loads_with_the_seed_facts():
    n = load_notice(2024)
    assert n.number == "国科发才〔2024〕31号"
    assert n.creators == ["科学技术部", "中共中央宣传部", "中国科学技术协会"]
    assert n.title == "科技部 中央宣传部 中国科协关于举办2024年全国科技活动周的通知"
    assert n.note == "（此件主动公开）" and n.disclosure == "主动公开"
    assert n.imprint.printer == "科学技术部办公厅"
    text = "".join(b["text"] for b in n.body_blocks())
    assert "网络和新媒体" in text and " and " not in text
    kinds = [b["kind"] for b in n.body_blocks()]
    assert kinds.count("h1") == 3 and kinds.count("h2") == 9 and kinds.count("item") == 3
    assert [a.form for a in n.attachments] == ["recommendations", "statistics"]


def test_missing_field_is_named(tmp_path, raw):
    data = copy.deepcopy(raw)
    del data["sections"][1]["subsections"][0]["heading"]
    (problem,) = problems_of(write(tmp_path, data))
    assert problem.startswith("sections[1].subsections[0].heading:")


def test_malformed_fields_are_all_listed(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["week"]["start"] = "2024-13-01"
    data["doc_number"]["serial"] = 0
    data["contact"][4]["value"] = 100862          # an unquoted number is not text
    data["attachments"][0]["from"] = "typo"       # unknown field
    problems = problems_of(write(tmp_path, data))
    fields = sorted(p.split(":")[0] for p in problems)
    assert fields == ["attachments[0].from", "contact[4].value", "doc_number.serial", "week.start"]


def test_consistency_rules(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["addressees"] = data["addressees"].rstrip("：")
    data["note"] = "(此件主动公开)"
    problems = problems_of(write(tmp_path, data))
    assert any("addressees" in p for p in problems) and any("note" in p for p in problems)


def test_bad_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "notice.yaml"
    bad.write_text("year: 2024\nissuers: [\n", encoding="utf-8")
    (problem,) = problems_of(bad)
    assert "line" in problem and "YAML" in problem
    (problem,) = problems_of(tmp_path / "absent.yaml")
    assert "does not exist" in problem


def test_chinese_numbers():
    assert [chinese_number(n) for n in (1, 3, 10, 12, 20, 21)] == ["一", "三", "十", "十二", "二十", "二十一"]
