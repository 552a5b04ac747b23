"""Small-multiples DET figure: layout, stable per-system styles, EER markers, nothing cut, bad input."""
import numpy as np
import pytest
from scipy.special import ndtri

from seed.metrics import MetricsError, compute_eer, compute_min_dcf, det_grid_figure, plot_det, plot_det_grid
from seed.metrics.det import system_styles

SYSTEMS = ["baseline", "SEED", "SEED + centering"]
CONDITIONS = ["clean", "noise_snr5", "reverb", "babble_snr0"]


def make_panels(seed=0, n_t=300, n_n=3000, conditions=CONDITIONS, systems=SYSTEMS):
    rng = np.random.default_rng(seed)
    labels = np.r_[np.ones(n_t, np.int8), np.zeros(n_n, np.int8)]
    return {c: {s: (np.r_[rng.normal(3.5 - 0.6 * ci + 0.3 * si, 1, n_t), rng.normal(0, 1, n_n)], labels)
                for si, s in enumerate(systems)}
            for ci, c in enumerate(conditions)}


def curves_by_gid(fig, kind):
    return {tuple(line.get_gid().split("|")[1:]): line
            for ax in fig.axes for line in ax.get_lines() if (line.get_gid() or "").startswith(kind + "|")}


def legend_reading_order(fig):
    """Figure-legend names as a person reads them: row by row, left to right."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    texts = fig.legends[0].get_texts()
    pos = [(-round(t.get_window_extent(r).y0), t.get_window_extent(r).x0) for t in texts]
    return [t.get_text() for _, t in sorted(zip(pos, texts), key=lambda p: p[0])]


def test_grid_writes_png_one_panel_per_condition(tmp_path):
    panels = make_panels()
    out = tmp_path / "report" / "det.png"
    fig = plot_det_grid(panels, out, title="mini (cosine)", ncols=3)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["det.png"]           # no temporary left behind
    assert len(fig.axes) == len(CONDITIONS)
    for ax, cond in zip(fig.axes, CONDITIONS):                              # given order, counts in title
        assert ax.get_title() == f"{cond}\n300 tgt / 3000 non-tgt"
        assert ax.get_xscale() == "linear" and ax.get_xlim() == fig.axes[0].get_xlim()
        assert ax.get_ylim() == fig.axes[0].get_ylim()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:3] == ["0.1", "1", "2"]
    assert fig.axes[0].get_xlim() == pytest.approx((ndtri(1 / 3000), ndtri(0.5)))  # one error in 3000 .. 50 %
    assert fig.get_suptitle() == "mini (cosine)"
    assert len(fig.legends) == 1                                            # one legend for the figure
    assert legend_reading_order(fig) == ["baseline", "SEED", "SEED + centering"]
    # identical input -> identical file
    again = tmp_path / "again.png"
    plot_det_grid(panels, again, title="mini (cosine)", ncols=3)
    assert again.read_bytes() == out.read_bytes()


def test_grid_colours_stable_per_system_and_distinct_between_systems():
    fig = det_grid_figure(make_panels())
    lines = curves_by_gid(fig, "det")
    assert len(lines) == len(SYSTEMS) * len(CONDITIONS)
    look = {}
    for (cond, name), line in lines.items():
        look.setdefault(name, set()).add((line.get_color(), line.get_linestyle()))
    assert all(len(v) == 1 for v in look.values())                          # same in every panel
    pairs = [next(iter(look[s])) for s in SYSTEMS]
    assert len({c for c, _ in pairs}) == len(SYSTEMS)                        # distinct colours
    legend_colours = {t.get_text(): h.get_color()
                      for t, h in zip(fig.legends[0].get_texts(), fig.legends[0].legend_handles)}
    assert legend_colours == {s: c for s, (c, _) in zip(SYSTEMS, pairs)}


def test_system_order_fixes_colours_across_figures_and_missing_systems():
    order = ["baseline", "SEED", "SEED + centering", "OOD"]
    full = det_grid_figure(make_panels(systems=order), system_order=order)
    part = make_panels(systems=["SEED + centering", "SEED"])                 # other order, fewer systems
    del part["reverb"]["SEED"]                                              # one panel lacks a system
    sub = det_grid_figure(part, system_order=order)
    colour = {name: line.get_color() for (_, name), line in curves_by_gid(full, "det").items()}
    for (_, name), line in curves_by_gid(sub, "det").items():
        assert line.get_color() == colour[name]
    assert legend_reading_order(sub) == ["SEED", "SEED + centering"]
    reverb = sub.axes[CONDITIONS.index("reverb")]
    assert [t.get_text() for t in reverb.get_legend().get_texts()][0].strip() == "-- no scores --"
    with pytest.raises(ValueError, match="'SEED' is plotted but not in system_order"):
        det_grid_figure(part, system_order=["baseline", "SEED + centering"])
    with pytest.raises(ValueError, match="lists 'SEED' twice"):
        det_grid_figure(part, system_order=["SEED", "SEED + centering", "SEED"])


def test_system_styles_never_repeat_a_pair():
    names = [f"s{i}" for i in range(40)]
    styles = system_styles(names)
    assert len(set(styles.values())) == 40
    assert len({styles[n][0] for n in names[:10]}) == 10                     # colours first, then styles
    assert styles["s10"][0] == styles["s0"][0] and styles["s10"][1] != styles["s0"][1]
    with pytest.raises(ValueError, match="41 systems"):
        system_styles(names + ["one more"])


def test_eer_markers_sit_at_the_computed_eer():
    panels = make_panels(seed=5)
    fig = det_grid_figure(panels, p_target=0.05)
    markers = curves_by_gid(fig, "eer")
    assert len(markers) == len(SYSTEMS) * len(CONDITIONS)
    for (cond, name), m in markers.items():
        s, lab = panels[cond][name]
        e = ndtri(compute_eer(s, lab) / 100)
        np.testing.assert_allclose([m.get_xdata()[0], m.get_ydata()[0]], [e, e], rtol=1e-12)
        assert m.get_color() == curves_by_gid(fig, "det")[(cond, name)].get_color()
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_legend().get_texts()]
    s, lab = panels[CONDITIONS[0]]["SEED"]
    assert rows[1] == f"{compute_eer(s, lab):6.2f}  {compute_min_dcf(s, lab, 0.05):.3f}"


def test_nothing_is_cut_or_covered():
    long_title = ("librispeech/seed1 — DET per condition, cosine scoring with AS-norm, SEED strength 0.6, "
                  "three evaluation seeds pooled, trials list test-clean-other")
    names = [f"SEED variant {i} + centering (OOD model {i})" for i in range(8)]
    for panels in (make_panels(systems=names, conditions=[f"cond_{i}" for i in range(7)]),
                   {"": make_panels(systems=names, conditions=["x"])["x"]}):
        fig = det_grid_figure(panels, title=long_title)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        box = fig.bbox
        inside = lambda b: b.x0 >= box.x0 - 1 and b.y0 >= box.y0 - 1 and b.x1 <= box.x1 + 1 and b.y1 <= box.y1 + 1
        assert inside(fig._suptitle.get_window_extent(r))
        assert inside(fig.legends[0].get_window_extent(r))
        assert legend_reading_order(fig) == names
        for ax in fig.axes:
            assert inside(ax.get_tightbbox(r))
            for other in fig.axes:                                          # numbers never over a panel
                assert not ax.get_legend().get_window_extent(r).overlaps(other.bbox)
            assert not fig.legends[0].get_window_extent(r).overlaps(ax.bbox)
            for labels in (ax.get_xticklabels(), ax.get_yticklabels()):    # tick labels have room
                boxes = [t.get_window_extent(r) for t in labels]
                assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))
            assert not fig._suptitle.get_window_extent(r).overlaps(ax.title.get_window_extent(r))


def test_high_eer_widens_the_axes_to_keep_the_point_visible():
    rng = np.random.default_rng(2)
    lab = np.r_[np.ones(200, int), np.zeros(2000, int)]
    fig = det_grid_figure({"chance": {"random": (rng.normal(0, 1, 2200), lab)}})
    (m,) = curves_by_gid(fig, "eer").values()
    assert fig.axes[0].get_xlim()[0] < m.get_xdata()[0] < fig.axes[0].get_xlim()[1]


def test_plot_det_is_the_one_panel_case(tmp_path):
    panels = make_panels()
    fig = plot_det(panels["clean"], tmp_path / "det.png", title="one panel")
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "300 tgt / 3000 non-tgt"
    assert legend_reading_order(fig) == SYSTEMS                              # 2 columns, still in order


def test_bad_input_is_a_clear_value_error(tmp_path):
    out = tmp_path / "det.png"
    good = make_panels(conditions=["clean"])["clean"]
    s, lab = good["SEED"]
    cases = [({}, "at least one panel"),
             ({"clean": {}}, "panel 'clean' has no systems"),
             ({"clean": {**good, "short": (s[:-3], lab)}}, "panel 'clean', system 'short': 3300 labels for 3297 scores"),
             ({"clean": {"one": s}}, "system 'one': expected \\(scores, labels\\)"),
             ({"clean": {"tgt only": (s[:5], np.ones(5, int))}}, "system 'tgt only': no non-target trials")]
    for panels, msg in cases:
        with pytest.raises(ValueError, match=msg):
            plot_det_grid(panels, out)
    with pytest.raises(MetricsError):
        plot_det_grid({"clean": {"x": (s, lab[::-1][:10])}}, out)
    with pytest.raises(ValueError, match="ncols"):
        plot_det_grid({"clean": good}, out, ncols=0)
    assert not out.exists() and list(tmp_path.iterdir()) == []
