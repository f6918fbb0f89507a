"""Cost-curve images: written atomically, bad paths refused before any work."""

import os

import pytest

pytest.importorskip("matplotlib")

from micrograd_lr.plots import check_path, save_confusion_matrix, save_cost_curve


@pytest.mark.parametrize(
    ("suffix", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_formats_follow_the_suffix(tmp_path, suffix, magic):
    path = tmp_path / f"cost.{suffix}"
    save_cost_curve([0.7, 0.5, 0.4], path, log_scale=True)
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_existing_file_is_replaced(tmp_path):
    path = tmp_path / "cost.png"
    path.write_text("old")
    save_cost_curve([1.0], path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match=r"the suffix must be one of .*\.png"):
        check_path(tmp_path / "cost.docx")
    with pytest.raises(ValueError, match="no folder"):
        check_path(tmp_path / "missing" / "cost.png")
    with pytest.raises(ValueError, match="no costs to plot"):
        save_cost_curve([], tmp_path / "cost.png")


def test_file_gets_the_usual_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = tmp_path / "cost.png"
        save_cost_curve([1.0, 0.5], path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_folder_or_an_unwritable_folder_is_refused_before_any_work(tmp_path):
    """Both used to pass the check and fail only after training, in os.replace."""
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(ValueError, match="it is a folder; give a file name"):
        check_path(tmp_path / "taken.png")
    if os.path.isdir("/proc/self"):  # not even root can create files there
        with pytest.raises(ValueError, match="the folder '/proc/self' is not writable"):
            check_path("/proc/self/cost.png")


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    path = tmp_path / "cost.png"
    path.write_text("old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_cost_curve([1.0, 0.5], path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cost.png"]


def test_log_scale_changes_the_drawing(tmp_path):
    linear, logarithmic = tmp_path / "lin.svg", tmp_path / "log.svg"
    save_cost_curve([0.7, 0.01, 0.001], linear)
    save_cost_curve([0.7, 0.01, 0.001], logarithmic, log_scale=True)
    assert "10^{-3}" in logarithmic.read_text() or "10^{-2}" in logarithmic.read_text()
    assert linear.read_bytes() != logarithmic.read_bytes()


def test_thinned_histories_are_drawn_at_their_iterations(tmp_path):
    even, thinned = tmp_path / "even.svg", tmp_path / "thinned.svg"
    save_cost_curve([0.7, 0.5, 0.4], even)
    save_cost_curve([0.7, 0.5, 0.4], thinned, iterations=[0, 512, 1000])
    assert "1000" in thinned.read_text() and "1000" not in even.read_text()
    with pytest.raises(ValueError, match="2 iterations for 3 costs"):
        save_cost_curve([0.7, 0.5, 0.4], thinned, iterations=[0, 1])


@pytest.mark.parametrize("costs", [None, [1.0, 0.6, 0.5]])
def test_confusion_matrix_picture(tmp_path, costs):
    path = tmp_path / "confusion.svg"
    counts = [[7, 1, 0], [2, 9, 0], [0, 0, 13]]
    save_confusion_matrix(counts, ("setosa", "versicolor", "virginica"), path, costs=costs)
    text = path.read_text()
    assert "versicolor" in text and "predicted class" in text
    assert ("iteration" in text) == (costs is not None)
    assert [p.name for p in tmp_path.iterdir()] == ["confusion.svg"]
    with pytest.raises(ValueError, match="must be 3 x 3 for 3 classes, got \\(2, 2\\)"):
        save_confusion_matrix([[1, 0], [0, 1]], ("a", "b", "c"), path)
