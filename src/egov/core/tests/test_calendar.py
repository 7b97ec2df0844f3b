import datetime as dt

import pytest

from egov.core import calendar
from egov.core.services import set_calendar_override

D = dt.date


@pytest.mark.django_db
def test_weekends_and_tet():
    assert calendar.is_working_day(D(2026, 11, 20))  # Friday
    assert not calendar.is_working_day(D(2026, 11, 21))  # Saturday
    assert not calendar.is_working_day(D(2026, 2, 17))  # Tết Nguyên Đán
    assert calendar.holiday_name(D(2026, 2, 17)) == "Tết Nguyên Đán"
    # Tết 2026: Mon 16/2 – Fri 20/2 off; 5 working days from Friday 13/2 ends on Friday 27/2
    assert calendar.add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 27)) == 5


@pytest.mark.django_db
def test_make_up_saturday_is_a_working_day():
    # 2025: Friday 2/5 off, swapped with Saturday 26/4 (make-up working day)
    assert calendar.is_working_day(D(2025, 4, 26))
    assert not calendar.is_working_day(D(2025, 5, 2))


@pytest.mark.django_db
def test_administrator_override_wins(system_admin):
    day = D(2026, 12, 31)  # a Thursday
    assert calendar.is_working_day(day)
    set_calendar_override(actor=system_admin, date=day, is_working_day=False, reason="Quyết định 123/QĐ-UBND")
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == "Quyết định 123/QĐ-UBND"
    assert calendar.add_working_days(D(2026, 12, 30), 1) == D(2027, 1, 4)  # 1/1 holiday, then weekend
    set_calendar_override(actor=system_admin, date=D(2027, 1, 2), is_working_day=True, reason="Làm bù")
    assert calendar.add_working_days(D(2026, 12, 30), 1) == D(2027, 1, 2)


@pytest.mark.django_db
def test_zero_days_moves_to_next_working_day_and_long_spans():
    assert calendar.add_working_days(D(2026, 11, 21), 0) == D(2026, 11, 23)
    assert calendar.add_working_days(D(2026, 1, 1), 250) > D(2026, 12, 1)
    with pytest.raises(ValueError, match="zero or positive"):
        calendar.add_working_days(D(2026, 1, 1), -1)
    # 24/11 is Ngày Văn hóa Việt Nam (a public holiday from 2026): 25, 26, 27 remain
    assert calendar.working_days_between(D(2026, 11, 27), D(2026, 11, 23)) == -3
