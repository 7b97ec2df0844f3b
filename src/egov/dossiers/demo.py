"""Demo dossiers (hồ sơ trình diễn) for the demo province: ``egov demo`` loads them after the procedures.

About 300 dossiers (setting ``EGOV_DEMO_DOSSIERS_SCALE`` multiplies the number; ``0`` loads none) spread over
the last three months, received by the two demo communes (commune procedures; the directory demo gives
them illustrative QCVN 102 codes and one-stop, specialist and leader staff) and by the Trung tâm Phục vụ
hành chính công (province procedures whose department has demo staff), through every channel (online,
desk, post) and in every national status 1–10: some refused, withdrawn or stopped, some waiting for papers or
fees, processing (a few overdue, flagged by the deadline scan), processed and returned with their result
PDF, paid fees with receipts and the citizen's rating; some late, with their apology letter and new
appointment (mẫu 04); and one inter-linked submission (hồ sơ liên thông, Nghị định 63/2024) per procedure
group — the demo citizen's "khai sinh → thường trú → thẻ BHYT cho trẻ em dưới 6 tuổi" among them — whose
parts are handled by their own receiving agencies and left in different states (returned, processing,
received; see ``GROUP_PLOTS``).

**Everything goes through** :mod:`egov.dossiers.services` — permissions, validation, timeline, audit and
notifications as for real dossiers. **Back-dating**: the services read the time with
:func:`egov.core.clock.now`; the demo runs the stories inside ``with clock.frozen()`` and moves that scope's
clock to the simulated moment of each action. The scope is a context variable, so only the demo's own
thread sees the simulated time (a web request or worker running meanwhile reads the real time). The dossiers'
business times (submission, reception, appointment, steps, payment, return) are thus in the past, while the
audit rows (:mod:`egov.audit` reads the real time) record the time the demo was loaded, with the simulated
moments in their before/after values, and a ``dossiers.demo.load`` audit row documents the run. The
directory's permission checks use the real date.

Idempotent: each demo dossier carries an idempotency key ``demo-<n>``; a dossier whose key exists is left as
it is (and each dossier's whole story runs in one transaction, so a crash leaves no half-told story).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from egov.audit.services import record
from egov.core import calendar, clock, context
from egov.directory.models import Agency, CitizenProfile, Position, Role, User
from egov.dossiers import codes, services
from egov.dossiers.models import Dossier, DossierGroup, DossierStep, Status
from egov.procedures.models import Channel, Procedure, ProcedureAgency, ProcedureGroup

BASE_COUNT = 300
SEED = 20260501
KEY_PREFIX = "demo-"
LEADERS = (Role.LEADER, Role.DEPUTY_LEADER)

#: Demo citizens with accounts (besides the directory demo's citizen): (name, CCCD, phone).
CITIZENS = (
    ("Trần Thị Mỹ Linh", "092190000201", "0900000201"),
    ("Lê Hoàng Phúc", "092095000202", "0900000202"),
    ("Nguyễn Thị Kim Ngân", "092192000203", "0900000203"),
    ("Phạm Quốc Khánh", "092088000204", "0900000204"),
    ("Huỳnh Văn Tâm", "092079000205", "0900000205"),
)
#: Applicants who come to the desk without an account.
DESK_NAMES = (
    "Võ Văn Bình",
    "Đặng Thị Hoa",
    "Lý Minh Trí",
    "Châu Ngọc Hân",
    "Trương Văn Sang",
    "Bùi Thị Thanh Thúy",
    "Ngô Văn Lợi",
    "Dương Thị Cẩm Tú",
    "Tạ Quang Vinh",
    "Lưu Thị Bích Phượng",
)
STREETS = ("đường 30/4", "đường Nguyễn Văn Cừ", "đường Trần Hưng Đạo", "đường Mậu Thân", "đường 3/2")

#: Scenarios: the first round covers every status once; then a weighted draw.
FIRST_ROUND = (
    "new",
    "received",
    "refused",
    "processing",
    "supplement",
    "payment",
    "withdrawn",
    "stopped",
    "done",
    "returned",
    "late_returned",
    "overdue",
    "late_open",
    "supplied_returned",
    "paid_returned",
)
WEIGHTS = {
    "returned": 30,
    "paid_returned": 8,
    "late_returned": 6,
    "supplied_returned": 5,
    "done": 6,
    "processing": 12,
    "overdue": 5,
    "late_open": 3,
    "received": 5,
    "new": 5,
    "supplement": 4,
    "payment": 3,
    "refused": 3,
    "withdrawn": 2,
    "stopped": 2,
}
#: The state each part of a demo inter-linked group is left in, by group code and part order ("" = other
#: groups): the birth registration is returned while the residence registration is being processed and the
#: health-insurance card has just been received; the death registration is done, the residence removal
#: waits for papers and the funeral allowance is newly submitted.
GROUP_PLOTS: dict[str, tuple[str, ...]] = {
    "LT-KS-TT-BHYT": ("returned", "processing", "received"),
    "LT-KT-XTT-MT": ("done", "supplement", "new"),
    "": ("returned", "processing", "received"),
}
REASONS_LATE = (
    "Phải xác minh thêm thông tin với cơ quan liên quan",
    "Hồ sơ cần lấy ý kiến của cơ quan chuyên môn",
    "Khối lượng hồ sơ tăng đột biến trong kỳ",
)


class Output(Protocol):
    def write(self, text: str) -> Any: ...


@dataclass
class Result:
    created: int = 0
    existing: int = 0
    skipped: int = 0
    groups: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


# --- the simulated clock -----------------------------------------------------------------------------------


class _Clock:
    """The demo's simulated time: moves the :func:`egov.core.clock.frozen` scope of the loader, never into
    the future (at most one minute before the real time)."""

    def __init__(self, frozen: clock.FrozenClock) -> None:
        self.frozen = frozen

    @property
    def now(self) -> dt.datetime:
        return self.frozen.moment

    def set(self, moment: dt.datetime) -> None:
        real = timezone.now()
        self.frozen.set(min(moment, real - dt.timedelta(minutes=1)))


# --- the cast -----------------------------------------------------------------------------------------------


@dataclass
class _Desk:
    """A receiving agency and the staff who act on its dossiers' steps."""

    agency: Agency
    officer: User
    procedures: list[Procedure]
    actors: dict[tuple[int, str], User]  # (agency id, role) → user


def _staff_map(province: Agency) -> dict[tuple[int, str], User]:
    """(agency id, role) → a demo staff member holding it (units count for their parent agency)."""
    out: dict[tuple[int, str], User] = {}
    positions = (
        Position.objects.active()
        .filter(agency__path__startswith=province.path, user__is_active=True)
        .select_related("agency", "user")
        .order_by("pk")
    )
    for pos in positions:
        out.setdefault((pos.agency_id, pos.role), pos.user)
        if pos.agency.kind == Agency.Kind.UNIT:
            out.setdefault((pos.agency.organisation().pk, pos.role), pos.user)
    return out


def _actor_for(staff: dict[tuple[int, str], User], agency_id: int, role: str) -> User | None:
    for wanted in (role, *LEADERS):
        user = staff.get((agency_id, wanted))
        if user is not None:
            return user
    return None


def _desks(province: Agency) -> list[_Desk]:
    staff = _staff_map(province)
    desks: list[_Desk] = []
    links = (
        ProcedureAgency.objects.filter(
            role=ProcedureAgency.Part.RECEIVING,
            agency__path__startswith=province.path,
            procedure__is_active=True,
        )
        .select_related("agency", "procedure")
        .order_by("agency_id", "procedure__code")
    )
    by_agency: dict[int, list[Procedure]] = {}
    agencies: dict[int, Agency] = {}
    for link in links:
        by_agency.setdefault(link.agency_id, []).append(link.procedure)
        agencies[link.agency_id] = link.agency
    for agency_id, procedures in by_agency.items():
        officer = staff.get((agency_id, Role.ONE_STOP_OFFICER))
        if officer is None:
            continue
        try:
            # Dossier codes need the agency's QCVN 102 / QĐ 20 code (the directory demo gives its communes
            # illustrative ones).
            codes.check_agency(agencies[agency_id])
        except ValidationError:
            continue
        usable = []
        for procedure in procedures:
            steps = list(procedure.steps.all())
            if all(_actor_for(staff, (s.agency_id or agency_id), s.role) for s in steps):
                usable.append(procedure)
        if usable:
            desks.append(_Desk(agencies[agency_id], officer, usable, staff))
    return desks


def _citizens(province: Agency) -> list[User]:
    from egov.directory import services as directory_services
    from egov.directory.demo_data import DEMO_PASSWORD, citizen_identity_number

    out = []
    main = CitizenProfile.objects.filter(
        identity_number=citizen_identity_number((province.admin_unit_code or "92").zfill(2))
    ).first()
    if main is not None:
        out.append(main.user)
    for name, cccd, phone in CITIZENS:
        profile = CitizenProfile.objects.filter(identity_number=cccd).select_related("user").first()
        if profile is not None:
            out.append(profile.user)
            continue
        out.append(
            directory_services.register_citizen(
                full_name=name,
                identity_number=cccd,
                password=DEMO_PASSWORD,
                phone=phone,
                email=f"{phone}@example.vn",
                address=f"Số {int(phone[-2:])} đường 30/4, {province.name.removeprefix('Ủy ban nhân dân ')}",
            )
        )
    return out


def result_pdf(title: str, code: str, applicant: str) -> bytes:
    """A one-page result (kết quả giải quyết) with a text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from egov.signing import fonts

    regular, bold, _italic = fonts.reportlab_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4)
    w, h = A4
    c.setFont(bold, 12)
    c.drawCentredString(w / 2, h - 70, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.drawCentredString(w / 2, h - 86, "Độc lập - Tự do - Hạnh phúc")
    c.setFont(bold, 14)
    c.drawCentredString(w / 2, h - 140, "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    c.setFont(regular, 12)
    y = h - 180
    for line in (
        f"Thủ tục: {title[:80]}",
        f"Mã hồ sơ: {code}",
        f"Chủ hồ sơ: {applicant}",
        "(Bản trình diễn)",
    ):
        c.drawString(80, y, line)
        y -= 20
    c.showPage()
    c.save()
    return buffer.getvalue()


# --- one dossier's story ----------------------------------------------------------------------------------


class _Story:
    """Drives one dossier through the services at simulated moments."""

    def __init__(self, rng: random.Random, clock: _Clock, desk: _Desk, citizens: list[User]) -> None:
        self.rng, self.clock, self.desk, self.citizens = rng, clock, desk, citizens
        self.last: dt.datetime | None = None

    def at(self, moment: dt.datetime) -> dt.datetime:
        """Move the clock to ``moment``, never before the dossier's previous action (nor in the future)."""
        if self.last is not None:
            moment = max(moment, self.last + dt.timedelta(minutes=1))
        self.clock.set(moment)
        self.last = self.clock.now
        return self.clock.now

    def later(self, moment: dt.datetime, hours: float) -> dt.datetime:
        return self.at(moment + dt.timedelta(hours=hours))

    def applicant(self, n: int) -> services.Applicant:
        name = DESK_NAMES[n % len(DESK_NAMES)]
        cccd = f"092{n % 2}{80 + n % 20:02d}{300000 + n:06d}"
        return services.Applicant(
            name=name,
            identity_number=cccd,
            phone=f"09{10000000 + n * 7919 % 89999999:08d}",
            address=f"Số {n % 200 + 1} {STREETS[n % len(STREETS)]}, {self.desk.agency.name}",
        )

    def submit(self, n: int, procedure: Procedure, channel: int, t0: dt.datetime, *, accept: bool) -> Dossier:
        self.last = None
        self.at(t0)
        key = f"{KEY_PREFIX}{n:05d}"
        if channel == Channel.ONLINE:
            citizen = self.citizens[n % len(self.citizens)]
            pdf = result_pdf(procedure.name, key, citizen.get_full_name())
            papers = [
                services.PaperInput(required_paper=p, upload=_Named(pdf, f"giay-to-{p.pk}.pdf"))
                for p in procedure.papers.filter(is_required=True)
            ]
            d = services.submit_online(
                actor=citizen,
                procedure=procedure,
                agency=self.desk.agency,
                papers=papers,
                description="Nộp trực tuyến trên Cổng dịch vụ công (trình diễn)",
                idempotency_key=key,
            )
            if accept:
                self.later(t0, self.rng.uniform(0.5, 3))
                d = services.accept(actor=self.desk.officer, dossier=d)
            return d
        papers = [services.PaperInput(required_paper=p) for p in procedure.papers.filter(is_required=True)]
        return services.receive_at_desk(
            actor=self.desk.officer,
            procedure=procedure,
            agency=self.desk.agency,
            applicant=self.applicant(n),
            papers=papers,
            channel=channel,
            accept=accept,
            idempotency_key=key,
        )

    def step_actor(self, d: Dossier) -> User:
        step = d.current_step
        assert step is not None
        user = _actor_for(self.desk.actors, step.agency_id, step.role)
        assert user is not None
        return user

    def start(self, d: Dossier, when: dt.datetime) -> Dossier:
        self.at(when)
        return services.start_processing(actor=self.desk.officer, dossier=d)

    def run_steps(self, d: Dossier, *, late_by: float = 0.0, until: int | None = None) -> Dossier:
        """Complete the steps one after the other, each at a moment before its due time (or, for the last
        one, ``late_by`` days after the dossier's appointment); stop before step ``until``."""
        while d.status == Status.PROCESSING and d.current_step is not None:
            step = DossierStep.objects.get(pk=d.current_step.pk)
            if until is not None and step.order >= until:
                return d
            last = not d.steps.filter(order__gt=step.order).exists()
            started = step.started_at or clock.now()
            due = step.due_at or (started + dt.timedelta(hours=8))
            when = started + (due - started) * self.rng.uniform(0.3, 0.9)
            if last and late_by and d.due_at is not None:
                when = d.due_at + dt.timedelta(days=late_by)
            when = max(when, started + dt.timedelta(minutes=20))
            actor = self.step_actor(d)
            if last:
                self.at(when - dt.timedelta(minutes=10))
                services.attach_result(
                    actor=self.desk.officer,
                    dossier=d,
                    upload=_Named(result_pdf(d.procedure.name, d.code, d.applicant_name), "ket-qua.pdf"),
                    note="Kết quả giải quyết (trình diễn)",
                )
            self.at(when)
            d = services.complete_step(
                actor=actor, dossier=d, note=self.rng.choice(("Đạt", "Hồ sơ hợp lệ", ""))
            )
        return d

    def give_back(self, d: Dossier) -> Dossier:
        assert d.finished_at is not None
        self.later(d.finished_at, self.rng.uniform(1, 30))
        if d.channel == Channel.POSTAL:
            return services.return_result(
                actor=self.desk.officer,
                dossier=d,
                method=Dossier.ReturnMethod.POST,
                tracking_number=f"EV{d.pk:09d}VN",
            )
        if d.channel == Channel.ONLINE and d.procedure.is_fully_online:
            return services.return_result(
                actor=self.desk.officer, dossier=d, method=Dossier.ReturnMethod.ONLINE
            )
        return services.return_result(actor=self.desk.officer, dossier=d, method=Dossier.ReturnMethod.DESK)

    def rate(self, d: Dossier) -> None:
        if d.owner_id is None or d.returned_at is None:
            return
        self.later(d.returned_at, self.rng.uniform(1, 48))
        owner = User.objects.get(pk=d.owner_id)
        score = (
            self.rng.choice((5, 5, 5, 4, 4, 3, 2))
            if d.is_on_time is not False
            else self.rng.choice((2, 3, 4))
        )
        services.rate(actor=owner, dossier=d, score=score, comment="Đánh giá trình diễn")

    def apologise(self, d: Dossier, before_due_hours: float = 6) -> None:
        assert d.due_at is not None
        self.at(d.due_at - dt.timedelta(hours=before_due_hours))
        leader = _actor_for(self.desk.actors, self.desk.agency.pk, Role.LEADER) or self.desk.officer
        new_day = calendar.add_working_days(timezone.localtime(d.due_at).date(), self.rng.randint(2, 5))
        services.issue_apology(
            actor=leader,
            dossier=d,
            reason=self.rng.choice(REASONS_LATE),
            new_due_at=new_day,
            issuer_title="Thủ trưởng cơ quan",
        )

    def payment(self, d: Dossier, when: dt.datetime, *, pay: bool) -> Dossier:
        self.at(when)
        amount = d.fee_amount or 50_000
        d = services.request_payment(actor=self.desk.officer, dossier=d, amount=amount)
        if pay:
            self.later(when, self.rng.uniform(1, 20))
            if d.owner_id is not None and d.channel == Channel.ONLINE:
                owner = User.objects.get(pk=d.owner_id)
                services.record_payment(actor=owner, dossier=d, method="sandbox")
            else:
                services.record_payment(actor=self.desk.officer, dossier=d, method="desk")
            d.refresh_from_db()
        return d


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    minutes = rng.randint(7 * 60 + 30, 16 * 60 + 30)
    tz = timezone.get_current_timezone()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)), tz)


def _working_day_back(today: dt.date, days_back: int) -> dt.date:
    day = today - dt.timedelta(days=days_back)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _play(
    story: _Story, n: int, scenario: str, procedure: Procedure, channel: int, today: dt.date
) -> Dossier:
    rng = story.rng
    method = procedure.methods.order_by("channel").first()
    days = int(Decimal(method.processing_days or 1)) if method is not None else 5
    recent = scenario in ("new", "received", "supplement", "payment", "processing", "late_open")
    if scenario == "overdue":
        back = rng.randint(days + 6, days + 25)
    elif recent:
        back = rng.randint(0, 3) if scenario != "processing" else rng.randint(0, max(1, days // 2))
    else:
        back = rng.randint(days + 8, 88)
    if scenario == "late_open":
        back = max(1, days + 1)
    t0 = _moment(_working_day_back(today, back), rng)
    if (
        scenario in ("new", "refused", "withdrawn")
        and channel == Channel.DIRECT
        and procedure.methods.filter(channel=Channel.ONLINE).exists()
    ):
        channel = Channel.ONLINE  # these stories mostly start on the portal (when the procedure is online)
    online = channel == Channel.ONLINE
    d = story.submit(n, procedure, channel, t0, accept=scenario not in ("new", "refused"))
    if scenario == "new":
        return d
    if scenario == "refused":
        story.later(t0, rng.uniform(1, 20))
        return services.refuse(
            actor=story.desk.officer, dossier=d, reason="Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan"
        )
    if scenario == "withdrawn":
        story.later(d.received_at or t0, rng.uniform(2, 30))
        owner = User.objects.get(pk=d.owner_id) if d.owner_id else None
        return services.withdraw(
            actor=owner or story.desk.officer, dossier=d, reason="Công dân xin rút hồ sơ"
        )
    if scenario == "received":
        return d
    assert d.received_at is not None
    received: dt.datetime = d.received_at
    d = story.start(d, received + dt.timedelta(hours=rng.uniform(0.2, 2)))
    if scenario == "stopped":
        story.later(received, rng.uniform(24, 60))
        return services.stop(
            actor=story.desk.officer, dossier=d, reason="Người yêu cầu đề nghị dừng giải quyết hồ sơ"
        )
    if scenario == "supplement":
        story.later(received, rng.uniform(1, 6))
        return services.request_supplement(
            actor=story.desk.officer,
            dossier=d,
            reason="Giấy tờ nộp kèm chưa rõ nét",
            papers=["Bản chụp rõ nét giấy tờ tùy thân"],
        )
    if scenario == "payment":
        return story.payment(d, received + dt.timedelta(hours=rng.uniform(1, 6)), pay=False)
    if scenario in ("processing", "overdue"):
        return story.run_steps(d, until=rng.choice((2, 3)))
    if scenario == "late_open":
        d = story.run_steps(d, until=2)
        story.apologise(d)
        d.refresh_from_db()
        return d
    if scenario == "supplied_returned":
        story.later(received, rng.uniform(1, 6))
        d = services.request_supplement(
            actor=story.desk.officer, dossier=d, reason="Thiếu bản sao giấy tờ", papers=["Bản sao giấy tờ"]
        )
        story.later(received, rng.uniform(20, 60))
        paper = procedure.papers.filter(is_required=True).first()
        actor = User.objects.get(pk=d.owner_id) if (online and d.owner_id) else story.desk.officer
        upload = _Named(result_pdf(procedure.name, d.code, d.applicant_name), "bo-sung.pdf")
        services.provide_supplement(
            actor=actor, dossier=d, papers=[services.PaperInput(required_paper=paper, upload=upload)]
        )
        d.refresh_from_db()
    if scenario == "paid_returned":
        d = story.payment(d, received + dt.timedelta(hours=rng.uniform(1, 4)), pay=True)
    late = scenario == "late_returned"
    if late:
        d = story.run_steps(d, until=(d.steps.count()))
        story.apologise(d)
        d.refresh_from_db()
    d = story.run_steps(d, late_by=rng.uniform(0.5, 1.5) if late else 0.0)
    if scenario == "done":
        return d
    d = story.give_back(d)
    if rng.random() < 0.7:
        story.rate(d)
    return d


def _group_desks(items: list[Any], desks: list[_Desk], g: int) -> dict[int, _Desk] | None:
    """The desk (receiving agency) of each part of a group, by procedure id: one commune receiving every
    part when there is one (the family's commune; group ``g`` takes the ``g``-th such desk), else for each
    part the first desk that receives its procedure; None when a part has no demo desk."""
    procedures = [item.procedure_id for item in items]
    whole = [desk for desk in desks if set(procedures) <= {p.pk for p in desk.procedures}]
    if whole:
        desk = whole[g % len(whole)]
        return dict.fromkeys(procedures, desk)
    out: dict[int, _Desk] = {}
    for pk in procedures:
        found = next((desk for desk in desks if pk in {p.pk for p in desk.procedures}), None)
        if found is None:
            return None
        out[pk] = found
    return out


def _group_part(story: _Story, d: Dossier, plot: str, submitted: dt.datetime) -> Dossier:
    """Tell one part's story, by the staff of the part's own receiving agency (``story.desk``)."""
    officer = story.desk.officer
    story.last = submitted
    if plot == "new":
        return d
    story.later(submitted, story.rng.uniform(1, 3))
    d = services.accept(actor=officer, dossier=d)
    if plot == "received":
        return d
    received: dt.datetime | None = d.received_at
    assert received is not None
    d = story.start(d, received + dt.timedelta(hours=story.rng.uniform(0.2, 1)))
    if plot == "supplement":
        story.later(received, story.rng.uniform(2, 5))
        return services.request_supplement(
            actor=officer,
            dossier=d,
            reason="Giấy tờ nộp kèm chưa rõ nét",
            papers=["Bản chụp rõ nét giấy tờ tùy thân của người yêu cầu"],
        )
    if plot == "processing":
        return story.run_steps(d, until=2)
    d = story.run_steps(d)
    if plot == "done":
        return d
    d = story.give_back(d)
    story.rate(d)
    return d


def _group(result: Result, story: _Story, desks: list[_Desk], today: dt.date) -> None:
    """The inter-linked submissions (hồ sơ liên thông, Nghị định 63/2024): one per active procedure group
    whose procedures demo desks receive — the first one "đăng ký khai sinh → đăng ký thường trú → cấp thẻ
    BHYT cho trẻ em dưới 6 tuổi" of the demo citizen. Each part is received and handled by the staff of its
    own receiving agency, and the parts are left in different states (:data:`GROUP_PLOTS`)."""
    groups = list(ProcedureGroup.objects.filter(is_active=True).order_by("code"))
    made = 0
    for g, group in enumerate(groups):
        key = f"{KEY_PREFIX}group-{g + 1}"
        if DossierGroup.objects.filter(idempotency_key=key).exists():
            made += 1
            continue
        items = list(group.items.select_related("procedure").order_by("order"))
        by_part = _group_desks(items, desks, g) if items else None
        if by_part is None:
            continue
        citizen = story.citizens[g % len(story.citizens)]
        pdf = result_pdf(group.name, key, citizen.get_full_name())
        papers = {
            item.procedure_id: [
                services.PaperInput(required_paper=p, upload=_Named(pdf, f"lien-thong-{p.pk}.pdf"))
                for p in item.procedure.papers.filter(is_required=True)
            ]
            for item in items
        }
        plots = GROUP_PLOTS.get(group.code, GROUP_PLOTS[""])
        t0 = _moment(_working_day_back(today, 5 + 2 * g), story.rng)
        try:
            with transaction.atomic():
                story.last = None
                submitted = story.at(t0)
                linked = services.submit_group(
                    actor=citizen,
                    procedure_group=group,
                    papers=papers,
                    agencies={pk: desk.agency for pk, desk in by_part.items()},
                    idempotency_key=key,
                )
                parts = {d.procedure_id: d for d in linked.dossiers.all()}
                for i, item in enumerate(items):
                    story.desk = by_part[item.procedure_id]
                    _group_part(story, parts[item.procedure_id], plots[i % len(plots)], submitted)
        except (ValidationError, PermissionDenied) as exc:
            result.skipped += 1
            result.errors.append(f"group {group.code}: {exc}")
            continue
        result.groups += 1
        made += 1
    if not made:
        result.errors.append(
            "no inter-linked group: its procedures are not received by a demo desk with codes"
        )


def load(
    stdout: Output | None = None, *, province: Agency | None = None, scale: float | None = None
) -> Result:
    """Load the demo dossiers (see the module docstring). Safe to run again."""
    from egov.procedures import demo as procedures_demo

    def write(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")

    if scale is None:
        scale = float(getattr(settings, "EGOV_DEMO_DOSSIERS_SCALE", 1.0))
    if settings.PRODUCTION:
        raise RuntimeError("refusing demo dossiers in production (EGOV_PRODUCTION=1)")
    result = Result()
    if scale <= 0:
        return result
    province = province or procedures_demo._demo_province()
    if province is None:
        write("Chưa có tỉnh trình diễn: chạy 'egov demo' trước / load the demo province first.")
        return result
    if not Procedure.objects.exists():
        procedures_demo.load(stdout, province=province)
    desks = _desks(province)
    if not desks:
        write("Không có thủ tục và cán bộ một cửa trình diễn / no demo procedures or one-stop staff.")
        return result
    total = max(len(FIRST_ROUND), round(BASE_COUNT * scale))
    rng = random.Random(SEED)
    today = timezone.localdate()
    with context.bind(source="cli"):
        citizens = _citizens(province)
        with clock.frozen() as frozen:
            story = _Story(rng, _Clock(frozen), desks[0], citizens)
            names = list(WEIGHTS)
            weights = [WEIGHTS[k] for k in names]
            for n in range(1, total + 1):
                scenario = FIRST_ROUND[n - 1] if n <= len(FIRST_ROUND) else rng.choices(names, weights)[0]
                desk = rng.choices(desks, weights=[len(x.procedures) + 5 for x in desks])[0]
                procedure = desk.procedures[rng.randrange(len(desk.procedures))]
                channel = rng.choice(
                    list(procedure.methods.values_list("channel", flat=True)) or [Channel.DIRECT]
                )
                if scenario in ("late_returned", "overdue", "late_open", "supplied_returned"):
                    channel = (
                        Channel.ONLINE
                        if procedure.methods.filter(channel=Channel.ONLINE).exists()
                        else channel
                    )
                if Dossier.objects.filter(idempotency_key=f"{KEY_PREFIX}{n:05d}").exists():
                    result.existing += 1
                    continue
                story.desk = desk
                try:
                    with transaction.atomic():
                        d = _play(story, n, scenario, procedure, channel, today)
                except (ValidationError, PermissionDenied) as exc:
                    result.skipped += 1
                    result.errors.append(f"{n} {scenario} {procedure.code}: {exc}")
                    continue
                result.created += 1
                result.by_status[d.status] = result.by_status.get(d.status, 0) + 1
            _group(result, story, desks, today)
        flagged = services.flag_deadlines()
        if result.created:
            with transaction.atomic():
                record(
                    "dossiers.demo.load",
                    actor=None,
                    agency=province,
                    target=province,
                    after={
                        "created": result.created,
                        "by_status": {str(k): v for k, v in sorted(result.by_status.items())},
                        "back_dated": "business times simulated over the last 90 days; audit times are real",
                        "flagged": flagged,
                    },
                )
    write(
        f"Hồ sơ trình diễn / demo dossiers: {result.created} mới / new, {result.existing} đã có / existing"
        + (f", {result.skipped} bỏ qua / skipped" if result.skipped else "")
        + (f", {result.groups} hồ sơ liên thông / linked group" if result.groups else "")
    )
    for line in result.errors[:5]:
        write(f"  ! {line}")
    return result
