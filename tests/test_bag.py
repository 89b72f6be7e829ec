"""kjhdz_docs.archive.bag: a file added to a made bag is in its manifests exactly as a full re-bagging
would list it."""

from __future__ import annotations

import shutil

import bagit

from kjhdz_docs.archive import bag as bagging


def test_a_file_added_after_bagging_is_listed_as_a_full_rebag_lists_it(tmp_path):
    folder = tmp_path / "b"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "一.txt").write_text("一" * 1000, encoding="utf-8")
    (folder / "二.bin").write_bytes(bytes(range(256)) * 40)
    bagging.make_bag(folder, {"Source-Organization": "科学技术部"})
    (folder / "data" / "reports").mkdir()
    (folder / "data" / "reports" / "四性检测报告.json").write_text('{"ok": true}', encoding="utf-8")
    bagging.add_to_payload(folder, ["data/reports/四性检测报告.json"], {"Verification-Report": "data/reports/四性检测报告.json"})
    assert bagging.validate(folder) == []

    again = tmp_path / "again"
    shutil.copytree(folder, again)
    full = bagit.Bag(str(again))
    full.save(processes=1, manifests=True)            # what bagit-python computes from every file
    for alg in bagging.CHECKSUMS:
        mine = set((folder / f"manifest-{alg}.txt").read_text(encoding="utf-8").splitlines())
        assert mine == set((again / f"manifest-{alg}.txt").read_text(encoding="utf-8").splitlines())
        assert len(mine) == 3
    assert (folder / "bag-info.txt").read_bytes() == (again / "bag-info.txt").read_bytes()
    for alg in bagging.CHECKSUMS:                     # the tag manifests as bagit's Bag.save makes them
        mine = set((folder / f"tagmanifest-{alg}.txt").read_text(encoding="utf-8").splitlines())
        assert mine == set((again / f"tagmanifest-{alg}.txt").read_text(encoding="utf-8").splitlines())
        assert {line.split(" ", 1)[1] for line in mine} == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                                            "manifest-sha512.txt"}
    assert (folder / "bagit.txt").read_text(encoding="utf-8") == bagging.BAGIT_TXT
    info = bagging.info(folder)
    assert info["Payload-Oxum"] == bagging.info(again)["Payload-Oxum"]
    assert info["Verification-Report"] == "data/reports/四性检测报告.json"


def test_info_reads_bag_info_as_bagit_does(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "a.txt").write_text("a", encoding="utf-8")
    bagging.make_bag(folder, {"Source-Organization": "科学技术部", "External-Description": "第一行 " * 30,
                              "Change-Added": ["Z109-WS·2024-D30-DWB-0118", "Z109-WS·2024-D30-DWB-0119"]})
    full = bagit.Bag(str(folder)).info
    mine = bagging.info(folder)
    assert mine == {k: (v[0] if isinstance(v, list) else v) for k, v in full.items()}
    assert mine["Change-Added"] == "Z109-WS·2024-D30-DWB-0118" and mine["Source-Organization"] == "科学技术部"


def test_the_path_check_answers_as_bagit_does_also_through_links(tmp_path):
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("x", encoding="utf-8")
    folder = tmp_path / "bag"
    (folder / "docs" / "sub").mkdir(parents=True)
    (folder / "docs" / "一.txt").write_text("一", encoding="utf-8")
    bagging.make_bag(folder, {})
    data = folder / "data"
    (data / "out-dir").symlink_to(outside)                       # a folder leading out of the bag
    (data / "docs" / "out-file").symlink_to(outside / "secret.txt")
    (data / "docs" / "in-file").symlink_to(data / "docs" / "一.txt")
    (data / "docs" / "up").symlink_to(folder.parent)
    bag = bagit.Bag(str(folder))
    paths = ["data/docs/一.txt", "data/docs/sub/none.txt", "data/out-dir/secret.txt", "data/out-dir/deep/x",
             "data/docs/out-file", "data/docs/in-file", "data/docs/up/outside/secret.txt", "../outside/secret.txt",
             "data/../../outside/secret.txt", "data/docs/../docs/一.txt", "/etc/passwd", "~/x", "data", "data/docs/up",
             "bagit.txt"]
    got = {p: bag._path_is_dangerous(p) for p in paths}
    assert got == {p: bagging.BAGIT_PATH_CHECK(bag, p) for p in paths}
    assert [p for p, bad in got.items() if not bad] == ["data/docs/一.txt", "data/docs/sub/none.txt", "data/docs/in-file",
                                                        "data/docs/../docs/一.txt", "data", "bagit.txt"]

    with open(folder / "manifest-sha256.txt", "a", encoding="utf-8") as f:
        f.write("0" * 64 + "  data/out-dir/secret.txt\n")
    try:
        bagit.Bag(str(folder))
    except bagit.BagError as exc:
        assert "unsafe" in str(exc)
    else:
        raise AssertionError("a manifest path through a link out of the bag was accepted")


def test_manifest_digests_are_the_entries_bagit_reads(tmp_path):
    folder = tmp_path / "b"
    (folder / "报送材料" / "北京市").mkdir(parents=True)
    (folder / "报送材料" / "北京市" / "统计表.xlsx").write_bytes(b"PK" + bytes(300))
    (folder / "名称\n带换行.txt").write_text("换行", encoding="utf-8")
    (folder / "100%.txt").write_text("percent", encoding="utf-8")
    bagging.make_bag(folder, {"Source-Organization": "科学技术部"})
    want = {path: hashes["sha256"] for path, hashes in bagit.Bag(str(folder)).entries.items()
            if path.startswith("data/")}
    assert bagging.manifest_digests(folder) == want and len(want) == 3
    assert bagging.manifest_digests(tmp_path / "no-bag") == {}


def test_a_bag_hashed_in_two_processes_names_each_altered_file(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    for i in range(bagging.PARALLEL_FROM + 10):
        (folder / f"{i:04d}.bin").write_bytes(i.to_bytes(4, "big") * 100)
    assert bagging._processes(folder) == 2
    bagging.make_bag(folder, {"Source-Organization": "科学技术部"})
    assert bagging.validate(folder) == []
    for name in ("0003.bin", "0501.bin"):
        data = bytearray((folder / "data" / name).read_bytes())
        data[7] ^= 1
        (folder / "data" / name).write_bytes(bytes(data))
    found = bagging.validate(folder)
    assert sorted({(p.path, p.check) for p in found}) == [("data/0003.bin", "checksum"), ("data/0501.bin", "checksum")]
