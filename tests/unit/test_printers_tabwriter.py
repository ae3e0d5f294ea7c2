"""Go text/tabwriter port: get tables (6/4/3), describe (0/8/2), RememberWidths."""

from pkubectl.printers.tabwriter import REMEMBER_WIDTHS, TableWriter, TabWriter, describe_writer, format_table


def test_get_table_columns_are_widest_cell_plus_three():
    rows = [["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            ["web-7d4b9c-abcde", "1/1", "Running", "0", "5m"],
            ["db-0", "0/1", "Pending", "12 (3m ago)", "47h"]]
    assert format_table(rows) == (
        "NAME               READY   STATUS    RESTARTS      AGE\n"
        "web-7d4b9c-abcde   1/1     Running   0             5m\n"
        "db-0               0/1     Pending   12 (3m ago)   47h\n"
    )


def test_minwidth_six_and_last_column_not_padded():
    assert format_table([["A", "B"], ["x", "yyyyyyyyyyyy"]]) == "A     B\nx     yyyyyyyyyyyy\n"


def test_empty_last_cell_leaves_the_padding_of_the_previous_column():
    # Real kubectl output with `-L missing`: the padding stays (Go behaviour).
    assert format_table([["NAME", "APP"], ["a", ""]]) == "NAME   APP\na      \n"


def test_single_column_table():
    assert format_table([["NAME"], ["pod/a"]]) == "NAME\npod/a\n"


def test_describe_blocks_restart_after_a_line_without_tabs():
    tw = describe_writer()
    tw.write("Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/x\n")
    assert tw.flush() == (
        "Name:       web\n"
        "Namespace:  default\n"
        "IPs:\n"
        "  IP:           10.0.0.1\n"
        "Controlled By:  ReplicaSet/x\n"
    )


def test_describe_text_after_last_tab_is_not_a_cell():
    tw = describe_writer()
    tw.write("Conditions:\n  Type\tStatus\n  PodReadyToStartContainers \tTrue \n"
             "  Ready \tTrue \nVolumes:\t<none>\nQoS Class:\tBestEffort\n")
    assert tw.flush() == (
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Ready                       True \n"
        "Volumes:                      <none>\n"
        "QoS Class:                    BestEffort\n"
    )


def test_column_block_ends_where_a_line_has_fewer_cells():
    # Go doc example: b and c are in distinct columns, d and e in none.
    tw = TabWriter(0, 8, 1, ".", 0)
    tw.write("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n")
    assert tw.flush() == "aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n"


def test_write_may_split_cells_across_calls():
    tw = describe_writer()
    tw.write("Na")
    tw.write("me:\tx\nLonger Key:")
    tw.write("\ty\n")
    assert tw.flush() == "Name:        x\nLonger Key:  y\n"


def test_table_writer_remembers_widths_for_watch():
    tw = TableWriter()
    first = tw.render([["NAME", "STATUS"], ["a-long-name", "Running"]])
    assert first == "NAME          STATUS\na-long-name   Running\n"
    # A later, narrower row keeps the remembered widths.
    assert tw.render([["b", "Pending"]]) == "b             Pending\n"
    # Wider rows grow the widths for good.
    assert tw.render([["a-much-longer-name", "X"]]) == "a-much-longer-name   X\n"
    assert tw.render([["c", "Y"]]) == "c                    Y\n"
    assert tw.widths == [21]
    tw.reset_widths()
    assert tw.render([["c", "Y"]]) == "c     Y\n"


def test_unicode_width_counts_code_points():
    assert format_table([["NAME", "X"], ["héllo", "1"]]) == "NAME    X\nhéllo   1\n"


def test_tab_padding_mode():
    tw = TabWriter(0, 8, 1, "\t", 0)
    tw.write("a\tb\nccccccccc\td\n")
    assert tw.flush() == "a\t\tb\nccccccccc\td\n"


# -- the uniform-table fast path gives exactly the general algorithm's output -----------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.text(alphabet=st.sampled_from(list("ab é-1") + ["\t", "\n", "日"]), max_size=12)


def _slow(rows_batches, minwidth=6, tabwidth=4, padding=3):
    tw = TabWriter(minwidth, tabwidth, padding, " ", REMEMBER_WIDTHS)
    out = []
    for rows in rows_batches:
        tw.write("".join("\t".join(row) + "\n" for row in rows))
        out.append(tw.flush())
    return out


def _fast(rows_batches, minwidth=6, tabwidth=4, padding=3):
    tw = TabWriter(minwidth, tabwidth, padding, " ", REMEMBER_WIDTHS)
    out = []
    for rows in rows_batches:
        tw.write_rows(rows)
        out.append(tw.flush())
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(
    lambda n: st.lists(st.lists(st.lists(_cell, min_size=n, max_size=n), max_size=6), min_size=1, max_size=3)),
    st.booleans())
def test_write_rows_matches_write(batches, ragged):
    if ragged and batches[0]:
        batches[0][0] = batches[0][0] + ["extra"]  # not uniform: the general path
    assert _fast(batches) == _slow(batches)
