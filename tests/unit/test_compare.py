"""File comparison and divergence tracing, on hand-made files."""

from seedlock.compare import (
    DIFFERENT,
    EQUIVALENT,
    MATCH,
    MISSING,
    UNEXPECTED,
    Tolerance,
    compare_content,
    compare_json,
    compare_tables,
    first_differing_byte,
)
from seedlock.steps import StepGraph
from seedlock.verify import (
    EXACT,
    FileResult,
    describe_difference,
    failing,
    tolerance_for,
    trace_divergence,
)

NUMERIC = Tolerance(policy="numeric", rtol=1e-9)


def test_table_reports_per_column_differences_and_label_changes():
    reference = "row,y_true,y_pred,score_0\n0,1,1,0.25\n1,0,0,0.75\n"
    current = "row,y_true,y_pred,score_0\n0,1,0,0.2500000000001\n1,0,0,0.70\n"
    difference = compare_tables(current, reference, ",", NUMERIC)
    assert difference.labels_changed == {"y_pred": 1}
    assert difference.numeric["score_0"]["values_changed"] == 2
    assert abs(difference.numeric["score_0"]["max_abs"] - 0.05) < 1e-12
    assert abs(difference.numeric["score_0"]["max_rel"] - 0.05 / 0.75) < 1e-12
    assert not difference.within_tolerance


def test_table_within_tolerance_and_shape_changes():
    reference = "a,b\nx,1.0\n"
    assert compare_tables("a,b\nx,1.0000000000001\n", reference, ",", NUMERIC).within_tolerance
    grown = compare_tables("a,b\nx,1.0\ny,2.0\n", reference, ",", NUMERIC)
    assert grown.structure == ["row count differs: now 2, reference 1"]
    assert not grown.within_tolerance
    renamed = compare_tables("a,c\nx,1.0\n", reference, ",", NUMERIC)
    assert "columns differ" in renamed.structure[0]


def test_json_groups_list_elements_and_separates_labels():
    reference = '{"m": {"acc": 0.9, "auc": null}, "test": [1, 2, 3], "name": "svc"}'
    current = '{"m": {"acc": 0.9000000000000001, "auc": null}, "test": [1, 5, 6], "name": "svc"}'
    difference = compare_json(current, reference, NUMERIC)
    assert difference.labels_changed == {"test[]": 2}
    assert list(difference.numeric) == ["m.acc"]
    assert not difference.within_tolerance
    only_float = compare_json('{"v": 1.0000000001}', '{"v": 1.0}', Tolerance("numeric", 1e-6))
    assert only_float.within_tolerance
    assert not compare_json('{"v": 1.1}', '{"v": 1.0}', Tolerance("numeric", 1e-6)).within_tolerance


def test_other_files_get_sizes_and_first_differing_byte():
    difference = compare_content("x.pkl", b"abcdef", b"abcxef", Tolerance(), 6, 6)
    assert difference.kind == "bytes" and difference.first_differing_byte == 3
    assert difference.sizes == (6, 6)
    assert first_differing_byte(b"abc", b"abcd") == 3
    unknown = compare_content("x.pkl", b"abc", None, Tolerance(), 3, 3)
    assert unknown.first_differing_byte is None
    assert describe_difference(difference.as_dict()) == (
        "size 6 bytes, reference 6 bytes; first differing byte at offset 3"
    )
    # without the reference's bytes (too large for values/) the offset is unknown, said so
    # whether or not the sizes agree
    for reference_size in (3, 4):
        unknown = compare_content("x.pkl", b"abc", None, Tolerance(), 3, reference_size)
        assert describe_difference(unknown.as_dict()) == (
            f"size 3 bytes, reference {reference_size} bytes; "
            "first differing byte unknown (no reference copy in values/)"
        )


def test_first_matching_tolerance_rule_wins():
    rules = [
        Tolerance("ignore", reason="r", pattern="results/figures/*"),
        Tolerance("numeric", 1e-6, pattern="*.json"),
    ]
    assert tolerance_for("results/figures/a/b.json", rules).policy == "ignore"
    assert tolerance_for("results/evaluate/x/y.json", rules).policy == "numeric"
    assert tolerance_for("results/train/x.pkl", rules).policy == "exact"


# The experiment's steps, as the workflow reads them from its rules.
GRAPH = StepGraph.from_dict(
    {
        "prepare_data": [],
        "split": ["prepare_data"],
        "train": ["prepare_data", "split"],
        "evaluate": ["prepare_data", "split", "train"],
        "cross_validate": ["prepare_data", "split"],
        "aggregate": ["prepare_data", "split", "train", "evaluate", "cross_validate"],
        "figures": ["prepare_data", "split", "train", "evaluate", "cross_validate", "aggregate"],
    }
)


def result(path, status, policy="exact"):
    return FileResult(path, path.split("/")[1], status, Tolerance(policy, reason="r"))


def test_divergence_is_traced_to_the_upstream_most_step():
    results = [
        result("results/split/a.json", MATCH),
        result("results/train/a.pkl", DIFFERENT),
        result("results/evaluate/a.json", DIFFERENT),
        result("results/cross_validate/a.csv", EQUIVALENT, "numeric"),
        result("results/aggregate/t.csv", DIFFERENT),
        result("results/figures/extra.png", UNEXPECTED),
    ]
    roots = trace_divergence(results, GRAPH)
    assert roots == ["train", "cross_validate"]
    assert results[2].consequence_of == "train"
    assert results[4].consequence_of == "train"
    assert results[3].consequence_of is None


def test_with_the_jobs_inputs_a_difference_is_traced_file_by_file():
    results = [
        result("results/train/iris.pkl", DIFFERENT),
        result("results/train/wine.pkl", MATCH),
        result("results/evaluate/iris.json", DIFFERENT),
        result("results/evaluate/wine.json", DIFFERENT),
        result("results/aggregate/t.csv", DIFFERENT),
        result("results/evaluate/extra.json", UNEXPECTED),
    ]
    inputs = {
        "results/evaluate/iris.json": ["results/train/iris.pkl"],
        "results/evaluate/wine.json": ["results/train/wine.pkl"],
        "results/aggregate/t.csv": ["results/evaluate/wine.json", "results/evaluate/iris.json"],
    }
    roots = trace_divergence(results, GRAPH, inputs)
    # wine's evaluation read a matching model: it diverged by itself, not because of iris's.
    assert results[2].consequence_of == "results/train/iris.pkl"
    assert results[3].consequence_of is None
    # the table read both: it follows from the upstream-most diverged file of the first
    assert results[4].consequence_of == "results/evaluate/wine.json"
    assert results[5].consequence_of == "train"  # no record of its job: by step
    assert roots == ["train", "evaluate"]


def test_which_classes_fail():
    assert failing(result("results/train/a", DIFFERENT), strict=False)
    assert failing(result("results/train/a", MISSING), strict=False)
    # An output of a step that the references lack is unverified, unless a rule names it.
    assert failing(FileResult("results/train/a", "train", UNEXPECTED, EXACT), strict=False)
    assert not failing(result("results/train/a", UNEXPECTED), strict=False)
    assert failing(result("results/train/a", UNEXPECTED), strict=True)
    # A file in no step's folder fails only under --strict.
    assert not failing(FileResult("results/notes.txt", None, UNEXPECTED, EXACT), strict=False)
    assert failing(FileResult("results/notes.txt", None, UNEXPECTED, EXACT), strict=True)
    assert not failing(result("results/train/a", EQUIVALENT, "numeric"), strict=False)
    assert failing(result("results/train/a", EQUIVALENT, "numeric"), strict=True)
    assert not failing(result("results/train/a", EQUIVALENT, "ignore"), strict=True)


def test_a_step_no_other_reads_is_a_root_and_independent_steps_are_not_blamed():
    graph = StepGraph.from_dict({"a": [], "b": ["a"], "c": []})
    results = [
        result("results/a/x", MATCH),
        result("results/b/y", DIFFERENT),
        result("results/c/z", DIFFERENT),
    ]
    assert trace_divergence(results, graph) == ["b", "c"]
    assert results[1].consequence_of is None
    assert graph.step_of("results/c/z") == "c"
    assert graph.step_of("results/d/z") is None
    assert graph.step_of("results/c") is None


def test_graph_of_folders_leaves_out_the_bookkeeping_and_relates_nothing():
    graph = StepGraph.of_folders(["train", "checksums", "verify", "split"])
    assert graph.steps == ("split", "train")
    assert graph.upstream["train"] == ()
    assert graph.merged(GRAPH).steps[:2] == ("split", "train")
    assert GRAPH.position("figures") == 6 and GRAPH.position(None) == 7


def test_a_recorded_graph_read_back_from_sorted_json_keeps_an_order_of_the_dag():
    import json

    read_back = StepGraph.from_dict(json.loads(json.dumps(GRAPH.as_dict(), sort_keys=True)))
    assert read_back.steps != tuple(sorted(GRAPH.steps))
    for step in read_back.steps:
        before = [s for s in read_back.steps[: read_back.position(step)]]
        assert set(read_back.upstream[step]) == set(GRAPH.upstream[step])
        assert list(read_back.upstream[step]) == [s for s in before if s in GRAPH.upstream[step]]
    assert read_back.steps[0] == "prepare_data" and read_back.steps[-1] == "figures"


def test_tables_and_json_show_their_first_differing_cells_and_keys_with_both_values():
    reference = "row,y_true,y_pred,score_0\n0,1,1,0.25\n1,0,0,0.75\n"
    current = "row,y_true,y_pred,score_0\n0,1,0,0.25\n1,0,0,0.70\n"
    table = compare_tables(current, reference, ",", NUMERIC)
    assert table.examples == [
        {"row": 1, "column": "y_pred", "current": "0", "reference": "1"},
        {"row": 2, "column": "score_0", "current": "0.70", "reference": "0.75"},
    ]
    assert "first differences: row 1 y_pred 0 now, 1 reference, row 2 score_0 0.70 now" in (
        describe_difference(table.as_dict())
    )
    document = compare_json(
        '{"m": {"acc": 0.5}, "n": "a"}', '{"m": {"acc": 0.9}, "n": "a"}', NUMERIC
    )
    assert document.examples == [{"key": "m.acc", "current": 0.5, "reference": 0.9}]


def test_text_gets_the_first_lines_of_a_unified_diff():
    reference = "# Table 1\n\n| model | accuracy |\n| svc | 0.91 ± 0.02 |\n"
    current = "# Table 1\n\n| model | accuracy |\n| svc | 0.92 ± 0.02 |\n"
    difference = compare_content(
        "results/aggregate/table1.md", current.encode(), reference.encode(), Tolerance(), 55, 55
    )
    assert difference.kind == "text"
    assert difference.diff[:2] == [
        "--- reference/results/aggregate/table1.md",
        "+++ current/results/aggregate/table1.md",
    ]
    assert "-| svc | 0.91 ± 0.02 |" in difference.diff
    assert "+| svc | 0.92 ± 0.02 |" in difference.diff


def test_a_pickle_names_the_object_path_and_opcode_where_it_first_differs():
    import copy
    import pickle

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(features, target)
    reference = pickle.dumps(model)
    changed = copy.deepcopy(model)
    changed[-1].C = 2.0
    found = compare_content("m.pkl", pickle.dumps(changed), reference, Tolerance(), 1, 1).pickle
    assert found["path"] == "steps[1][1].C"
    assert found["current"].startswith("BINFLOAT 2.0") and found["reference"].startswith(
        "BINFLOAT 1.0"
    )
    changed = copy.deepcopy(model)
    changed[-1].coef_[1, 2] += 1e-12
    difference = compare_content("m.pkl", pickle.dumps(changed), reference, Tolerance(), 1, 1)
    assert difference.pickle["path"] == "steps[1][1].coef_"
    # the array's raw data: coef_ is 3 x 4 float64, laid out as numpy holds it
    position = 2 * 3 + 1 if model[-1].coef_.flags.f_contiguous else 1 * 4 + 2
    assert difference.pickle["data_offset"] // 8 == position
    assert "pickle differs first at steps[1][1].coef_ (in " in describe_difference(
        difference.as_dict()
    )
