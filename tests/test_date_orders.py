"""Dates a file's own values cannot settle are refused by name (found by an auditor): a US export pasted under a UK
one (10/05/2026 beside 25/10/2026) read the US rows as May and June, and `26/10/05` (YY/MM/DD, 5 October 2026) read
as 26 October 2005."""

from __future__ import annotations

from datetime import date

import pytest

from billing_assets.core.formats import FormatError, decide_date_order


def test_two_date_orders_in_one_file_are_refused() -> None:
    with pytest.raises(FormatError, match=r"dates of two orders: '25/10/2026' reads only DD/MM/YYYY, and "
                                          r"'10/05/2026' read so falls on 2026-05-10"):
        decide_date_order(["10/05/2026", "10/06/2026", "25/10/2026", "20/10/2026"])


@pytest.mark.parametrize(("values", "order"), [
    (["05/10/2026", "25/10/2026"], "day_first"),  # 5 October beside 25 October
    (["10/05/2026", "10/25/2026"], "month_first"),
    (["03/02/2026", "15/02/2026", "20/03/2026", "11/03/2026"], "day_first"),  # February and March
    (["01/12/2026", "31/12/2026", "02/01/2027"], "day_first"),  # across the year end
    (["05/10/26", "12/10/26", "30/10/26"], "day_first"),
])
def test_one_order_throughout_is_read(values, order) -> None:
    assert decide_date_order(values).value == order


def test_year_first_two_digit_dates_are_refused() -> None:
    year = date.today().year % 100  # "26/10/05" in 2026: the 5th of October this year, not 26 October 2005
    with pytest.raises(FormatError, match=rf"the dates look like YY/MM/DD \('{year}/10/05'"):
        decide_date_order([f"{year}/10/05", f"{year}/10/06"])


def test_validate_names_a_re_export_in_another_date_format(billing_env) -> None:
    """Found by an auditor: the same two entries exported once with US and once with UK dates were named by the
    close's no_cross_file_duplicates, but `billing validate` said nothing."""
    from billing_assets.validate import validate_home

    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text('client: acme\nname: "Acme"\ncurrency: USD\ndefault_rate: 100\n')
    header = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
    (home / "timesheets" / "us.csv").write_text(header + "10/25/2026,Acme,Web,Build,Home,1.5,Yes,Ana,Souza\n"
                                                         "10/26/2026,Acme,Web,Build,Cart,2,Yes,Ana,Souza\n")
    (home / "timesheets" / "uk.csv").write_text(header + "25/10/2026,Acme,Web,Build,Home,1.5,Yes,Ana,Souza\n"
                                                         "26/10/2026,Acme,Web,Build,Cart,2,Yes,Ana,Souza\n")
    assert "timesheets/uk.csv and timesheets/us.csv: 2 row(s) in both files with the same date, person, project, " \
           "task and hours (a re-export, a note perhaps edited since?); no_cross_file_duplicates will stop their " \
           "months" in validate_home(home)
