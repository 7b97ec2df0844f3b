"""Mẫu 06 (Phiếu kiểm soát quá trình giải quyết hồ sơ) after a step was returned to the previous one: one line
per handling, in the order it happened, the returned handling marked as such with its reason; a step handled
again is its second round, not a duplicate of the first."""

from __future__ import annotations

from egov.core import clock
from egov.dossiers import printouts, services

from .conftest import at
from .test_printouts import flat, pdf_text
from .test_return_step import REASON, _at_leader_step


def test_a_returned_step_is_one_handling_among_the_others(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:  # Monday
        d = _at_leader_step(world, frozen)
        frozen.advance(days=1)
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason=REASON)
        rows = printouts.control_rows(d, now=clock.now())
        assert [(r["step"], r["mark"]) for r in rows] == [
            ("Tiếp nhận hồ sơ", "Đã tiếp nhận"),
            ("1. Thẩm định", rows[1]["mark"]),
            ("2. Phê duyệt", "Trả lại bước trước"),
            ("1. Thẩm định (lần 2)", "Đang xử lý"),
            ("2. Phê duyệt (lần 2)", "Chưa đến lượt"),
        ]
        assert rows[1]["mark"] in {"Trước hạn", "Đúng hạn"} and rows[1]["note"] == "Dự thảo kết quả"
        returned = rows[2]
        assert returned["note"] == REASON and returned["handler"] == world.leader.get_full_name()
        assert returned["finished"] == rows[3]["received"]  # handed back when the specialist got it again

        frozen.advance(hours=2)
        d = services.complete_step(actor=world.specialist, dossier=d, note="Đã sửa họ tên")
        frozen.advance(hours=2)
        d = services.complete_step(actor=world.leader, dossier=d, note="Đồng ý")
        rows = printouts.control_rows(d, now=clock.now())
        steps = [r["step"] for r in rows]
        assert steps[:5] == [
            "Tiếp nhận hồ sơ",
            "1. Thẩm định",
            "2. Phê duyệt",
            "1. Thẩm định (lần 2)",
            "2. Phê duyệt (lần 2)",
        ]
        assert len(steps) == len(set(steps))  # no line repeats another
        assert rows[3]["note"] == "Đã sửa họ tên" and rows[4]["note"] == "Đồng ý"
        assert rows[4]["mark"] in {"Trước hạn", "Đúng hạn"}

        text = flat(pdf_text(printouts.form_pdf(d, "06")))
        for fact in ("Trả lại bước trước", REASON, "1. Thẩm định (lần 2)", "2. Phê duyệt (lần 2)"):
            assert fact in text, fact
