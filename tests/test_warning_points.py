"""The foreign-trade warning points (省级外贸预警点) of the catalog, the accounts scoped to one."""

import shutil

import pytest

from commerce_brain.catalog import CatalogError, default_catalog_dir, load_catalog
from commerce_brain.warning_points import known_warning_points, load_warning_points


def test_the_packaged_catalog_lists_ten_points_in_shaoxing():
    points = load_warning_points()
    # 六（三）: 「依托全市10个省级外贸预警点」
    assert len(points.org_units) == 10 and "10个省级外贸预警点" in points.citation
    shaoxing = load_catalog().subtree("330600")
    assert set(points.org_units.values()) <= shaoxing
    assert "柯桥区纺织品外贸预警点" in known_warning_points()
    assert "《绍兴市商务发展“十四五”规划》" in points.citation and ".txt" not in points.citation


def _copy(tmp_path):
    folder = tmp_path / "catalog"
    (folder / "warning").mkdir(parents=True)
    shutil.copy(default_catalog_dir() / "org_units.csv", folder / "org_units.csv")
    text = (default_catalog_dir() / "warning" / "warning_points.yaml").read_text(encoding="utf-8")
    return folder, text


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("嵊州市厨具外贸预警点", "嵊州市领带外贸预警点"), "unique name_zh"),
    (lambda t: t.replace('"330624"', '"339999"'), "not in org_units.csv"),
    (lambda t: t.replace("citation: {section: 六、（三）", "quoted: {section: 六、（三）"), "citation"),
    (lambda t: t.split("points:")[0] + "points: []\n", "lists no warning points"),
])
def test_a_bad_points_file_is_refused_whole(tmp_path, edit, message):
    folder, text = _copy(tmp_path)
    (folder / "warning" / "warning_points.yaml").write_text(edit(text), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_warning_points(folder)


def test_an_unchanged_copy_loads(tmp_path):
    folder, text = _copy(tmp_path)
    (folder / "warning" / "warning_points.yaml").write_text(text, encoding="utf-8")
    assert load_warning_points(folder).org_units == load_warning_points().org_units
