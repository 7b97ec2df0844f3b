"""Demo documents (văn bản trình diễn) for the demo province: ``egov demo`` loads them after the directory.

What it creates, always through ``documents.services`` / ``documents.outgoing`` / ``signing.services`` (so
every step has its timeline event and audit row):

* the default registers (sổ đến, sổ đi and their secret counterparts) of the demo agencies;
* the built-in demo CA, personal certificates for the leaders who sign and agency certificates (digital
  seals) for the departments;
* unit heads (trưởng phòng) for the internal units, so that drafts can be reviewed as Nghị định 30 wants;
* about 300 incoming documents across the agencies that have a clerk, each with a small real PDF laid out
  like a real công văn / quyết định, in every handling status (registered, presented, assigned, in
  progress, completed), some late, some due soon, some secret, some urgent;
* about 40 outgoing documents taken through the whole flow — draft → review → approval → signature
  (personal certificate, number and date left blank) → issue (number and date filled in, agency seal) —
  and delivered to the recipients inside egov, some of whom have already registered and assigned them
  (the sender sees their status), plus a few documents still on their way (draft, in review, waiting
  for approval, for signature, for issue).

Idempotent: when the demo agencies already hold documents, nothing is created. ``scale`` shrinks or grows
the numbers (tests use a small one). Arrival dates are spread over the last months, but the services stamp
their own steps (assignment, completion, issue) with the time of loading.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from egov.core import calendar, context
from egov.directory.models import Agency, Position, Role, User

SEED = 20261105
INCOMING = 300
OUTGOING = 40

# --- vocabulary ------------------------------------------------------------------------------------------

TOPICS = (
    "chuyển đổi số",
    "cải cách hành chính",
    "Đề án 06 về phát triển ứng dụng dữ liệu dân cư, định danh và xác thực điện tử",
    "xây dựng chính quyền điện tử, chính quyền số",
    "dịch vụ công trực tuyến toàn trình",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "quản lý cán bộ, công chức, viên chức",
    "sắp xếp đơn vị hành chính cấp xã",
    "thi đua, khen thưởng",
    "công tác văn thư, lưu trữ",
    "bảo đảm an toàn thông tin mạng",
    "tiếp công dân, giải quyết khiếu nại, tố cáo",
    "phổ biến, giáo dục pháp luật",
    "y tế cơ sở và chăm sóc sức khỏe ban đầu",
    "quản lý, sử dụng ngân sách nhà nước",
    "thực hành tiết kiệm, chống lãng phí",
    "phòng, chống tham nhũng, tiêu cực",
    "đào tạo, bồi dưỡng cán bộ, công chức",
    "kiểm soát thủ tục hành chính",
    "cơ chế một cửa, một cửa liên thông",
    "chỉ số hài lòng của người dân, doanh nghiệp",
    "vị trí việc làm và biên chế công chức",
    "bảo vệ môi trường và ứng phó biến đổi khí hậu",
    "quản lý trật tự xây dựng",
)

PERIODS = (
    "quý III năm 2026",
    "9 tháng đầu năm 2026",
    "tháng 10 năm 2026",
    "năm 2026 và phương hướng năm 2027",
    "6 tháng cuối năm 2026",
    "giai đoạn 2026 - 2030",
)

EVENTS = (
    "Hội nghị tổng kết công tác năm 2026",
    "lớp bồi dưỡng kỹ năng số cho cán bộ, công chức",
    "Hội thảo về chính quyền số cấp tỉnh",
    "buổi làm việc với Đoàn kiểm tra công tác cải cách hành chính",
    "Hội nghị tập huấn nghiệp vụ văn thư, lưu trữ",
    "Diễn đàn chuyển đổi số khu vực Đồng bằng sông Cửu Long",
)

# (type code, weight, subject templates). {topic}, {period}, {event} are filled in.
SUBJECTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "cong-van": (
        45,
        (
            "Về việc báo cáo tình hình thực hiện {topic} {period}",
            "Về việc góp ý dự thảo Kế hoạch {topic} {period}",
            "Về việc cử cán bộ tham dự {event}",
            "Về việc đôn đốc triển khai {topic}",
            "Về việc rà soát, cập nhật số liệu {topic}",
            "Về việc đề nghị cung cấp thông tin phục vụ {topic}",
            "Về việc hướng dẫn thực hiện {topic}",
            "Về việc tăng cường công tác {topic}",
        ),
    ),
    "quyet-dinh": (
        14,
        (
            "Về việc ban hành Kế hoạch {topic} {period}",
            "Về việc thành lập Tổ công tác {topic}",
            "Về việc phê duyệt danh mục nhiệm vụ {topic} {period}",
            "Về việc khen thưởng tập thể, cá nhân có thành tích trong {topic}",
            "Về việc kiện toàn Ban Chỉ đạo {topic}",
        ),
    ),
    "ke-hoach": (
        9,
        ("Triển khai {topic} {period}", "Kiểm tra công tác {topic} {period}", "Tuyên truyền về {topic}"),
    ),
    "thong-bao": (
        8,
        (
            "Kết luận của lãnh đạo tại cuộc họp về {topic}",
            "Lịch tiếp công dân định kỳ {period}",
            "Kết quả kiểm tra công tác {topic}",
        ),
    ),
    "bao-cao": (
        10,
        ("Tình hình thực hiện {topic} {period}", "Kết quả {topic} {period}", "Sơ kết {topic} {period}"),
    ),
    "giay-moi": (8, ("Dự {event}", "Họp bàn về {topic}")),
    "to-trinh": (3, ("Về việc đề nghị phê duyệt kinh phí {topic} {period}",)),
    "huong-dan": (3, ("Thực hiện {topic}", "Quy trình xử lý hồ sơ {topic}")),
}

# Senders outside the province: (name, short name for the notation, drafting units for a công văn, the head's
# title, the deputy's title).
CENTRAL = (
    ("Văn phòng Chính phủ", "VPCP", ("KSTT", "KGVX", "TH"), "Bộ trưởng, Chủ nhiệm", "Phó Chủ nhiệm"),
    ("Bộ Nội vụ", "BNV", ("CCVC", "CQĐP", "VP"), "Bộ trưởng", "Thứ trưởng"),
    ("Bộ Tư pháp", "BTP", ("PBGDPL", "VP"), "Bộ trưởng", "Thứ trưởng"),
    ("Bộ Tài chính", "BTC", ("NSNN", "HCSN"), "Bộ trưởng", "Thứ trưởng"),
    ("Bộ Y tế", "BYT", ("KCB", "DP"), "Bộ trưởng", "Thứ trưởng"),
    ("Bộ Khoa học và Công nghệ", "BKHCN", ("CĐSQG", "VP"), "Bộ trưởng", "Thứ trưởng"),
    ("Bộ Công an", "BCA", ("C06", "V03"), "Bộ trưởng", "Thứ trưởng"),
    ("Thanh tra Chính phủ", "TTCP", ("C.I", "VP"), "Tổng Thanh tra", "Phó Tổng Thanh tra"),
)
LOCAL_UNITS = ("VP", "NV", "KHTC", "TH", "KGVX", "KT")

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Quốc", "Hồng", "Ngọc", "Đức", "Thu", "Hữu")
GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hải",
    "Hạnh",
    "Khoa",
    "Linh",
    "Nam",
    "Phương",
    "Quân",
    "Tâm",
)

OPINIONS = (
    "Đã làm việc với các đơn vị liên quan, đang tổng hợp số liệu.",
    "Đã dự thảo văn bản trả lời, trình lãnh đạo phòng cho ý kiến.",
    "Đề nghị Phòng phối hợp cung cấp số liệu trước thứ Sáu.",
    "Đang rà soát theo hướng dẫn, dự kiến hoàn thành đúng hạn.",
)
DIRECTIONS = (
    "Giao chủ trì tham mưu, báo cáo kết quả trước thời hạn.",
    "Nghiên cứu, đề xuất phương án xử lý.",
    "Phối hợp các đơn vị liên quan triển khai thực hiện.",
    "Theo dõi, tổng hợp, báo cáo lãnh đạo.",
)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def pick_type(rng: random.Random) -> str:
    codes = list(SUBJECTS)
    return rng.choices(codes, weights=[SUBJECTS[c][0] for c in codes])[0]


def subject_for(rng: random.Random, type_code: str) -> str:
    """A realistic trích yếu for a document of ``type_code`` (also used by the benchmarks)."""
    template = rng.choice(SUBJECTS[type_code][1])
    return template.format(topic=rng.choice(TOPICS), period=rng.choice(PERIODS), event=rng.choice(EVENTS))


# --- the PDF of a document -------------------------------------------------------------------------------


@dataclass
class Letter:
    """What the first page of an administrative document shows (Nghị định 30/2020, Phụ lục I)."""

    body_above: str  # cơ quan chủ quản (``ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ``) or ""
    issuer: str  # ``SỞ NỘI VỤ``
    number_notation: str  # ``15/QĐ-SNV``; a draft has a blank number: ``      /QĐ-SNV``
    place: str  # ``Cần Thơ``
    date: dt.date | None  # None: a draft, the date is filled in at issue
    type_name: str
    subject: str
    body: list[str]
    recipients: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)  # ``KT. GIÁM ĐỐC``, ``PHÓ GIÁM ĐỐC``
    signer: str = ""  # printed under the signature (received documents); drafts leave the block empty
    cong_van: bool = False
    decree_lines: list[str] = field(default_factory=list)  # quyết định: "Căn cứ …" lines
    enacting: str = ""  # quyết định: the competent authority (``GIÁM ĐỐC SỞ NỘI VỤ``)


def date_line(place: str, date: dt.date | None) -> str:
    """``Cần Thơ, ngày 05 tháng 11 năm 2026`` (day < 10 and months 1, 2 zero-padded: Phụ lục I, II.4.b)."""
    if date is None:
        return f"{place}, ngày      tháng      năm {timezone.localdate().year}"
    month = f"{date.month:02d}" if date.month < 3 else str(date.month)
    return f"{place}, ngày {date.day:02d} tháng {month} năm {date.year}"


def render_letter(letter: Letter) -> bytes:
    """A one-page A4 PDF with a text layer: national motto, issuer, number, place and date, title, body,
    nơi nhận at the lower left and the signature block at the lower right — left empty on a draft, where
    the signer's digital signature goes (the box ``signing.document_layout`` uses by default)."""
    from egov.signing import fonts

    regular, bold, italic = fonts.reportlab_fonts()
    return _draw_letter(letter, regular, bold, italic)


def _draw_letter(letter: Letter, regular: str, bold: str, italic: str) -> bytes:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame, Paragraph, Spacer

    width, height = A4
    left, right, top = 30 * mm, 15 * mm, 20 * mm
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"{letter.number_notation.strip()} {letter.subject}"[:200])
    c.setAuthor(letter.issuer.title())

    # DejaVu Serif (the usual fallback for Times New Roman) is wide: 11-12 pt keeps the two columns apart.
    left_w, left_cx = 62 * mm, left + 31 * mm
    right_cx = width - right - 49 * mm

    def centred(
        lines: Sequence[str], font: str, size: float, cx: float, y: float, lead: float = 1.2
    ) -> float:
        c.setFont(font, size)
        for line in lines:
            c.drawCentredString(cx, y, line)
            y -= size * lead
        return y

    def rule(cx: float, y: float, w: float) -> None:
        c.setLineWidth(0.6)
        c.line(cx - w / 2, y, cx + w / 2, y)

    mid = (left + width - right) / 2
    y0 = height - top - 12
    y = y0
    if letter.body_above:
        y = centred(simpleSplit(letter.body_above, regular, 11, left_w), regular, 11, left_cx, y)
    issuer_lines = simpleSplit(letter.issuer, bold, 11, left_w)
    y = centred(issuer_lines, bold, 11, left_cx, y)
    rule(left_cx, y + 8, min(30 * mm, c.stringWidth(issuer_lines[-1], bold, 11)))
    y_left = y - 14
    y = centred(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], bold, 11, right_cx, y0)
    motto = "Độc lập - Tự do - Hạnh phúc"
    y = centred([motto], bold, 12, right_cx, y)
    rule(right_cx, y + 9, c.stringWidth(motto, bold, 12))
    y_right = y - 14
    y = min(y_left, y_right)
    c.setFont(regular, 12)
    c.drawCentredString(left_cx, y, f"Số: {letter.number_notation}")
    c.setFont(italic, 12)
    c.drawCentredString(right_cx, y, date_line(letter.place, letter.date))
    y -= 16
    if letter.cong_van:
        vv = "V/v " + letter.subject.removeprefix("Về việc ").removeprefix("về việc ")
        y = centred(simpleSplit(vv, regular, 11, left_w), regular, 11, left_cx, y, 1.15)
        y -= 16
    else:
        y -= 10
        y = centred([letter.type_name.upper()], bold, 14, mid, y)
        y = centred(
            simpleSplit(letter.subject, bold, 13, width - left - right - 20 * mm),
            bold,
            13,
            mid,
            y,
        )
        rule(mid, y + 9, 40 * mm)
        y -= 10

    para = ParagraphStyle(
        "body", fontName=regular, fontSize=13, leading=17, alignment=TA_JUSTIFY, firstLineIndent=10 * mm
    )
    centre = ParagraphStyle("centre", parent=para, alignment=TA_CENTER, firstLineIndent=0, fontName=bold)
    decree = ParagraphStyle("decree", parent=para, fontName=italic)
    story: list[Any] = []
    if letter.cong_van and letter.recipients:
        story.append(
            Paragraph(
                "Kính gửi: " + escape(letter.recipients[0].removeprefix("- ").rstrip(";")),
                ParagraphStyle("to", parent=para, alignment=TA_CENTER, firstLineIndent=0),
            )
        )
        story.append(Spacer(1, 4))
    if letter.enacting:
        story.append(Paragraph(escape(letter.enacting.upper()), centre))
        story.append(Spacer(1, 6))
    if letter.decree_lines:
        story += [Paragraph(escape(line), decree) for line in letter.decree_lines]
        story.append(Spacer(1, 4))
        story.append(Paragraph("QUYẾT ĐỊNH:", centre))
        story.append(Spacer(1, 4))
    story += [Paragraph(escape(text), para) for text in letter.body]
    bottom_block = 85 * mm  # the lower right is for the signature: signing.document_layout's default box
    Frame(left, bottom_block, width - left - right, y - bottom_block, 0, 0, 0, 0).addFromList(story, c)

    y = bottom_block - 6
    c.setFont(bold, 12)
    c.drawString(left, y, "Nơi nhận:")
    c.setFont(regular, 11)
    # the left column ends where the signature box begins (105 mm from the left edge)
    lines = [
        (part, j > 0)
        for line in [*letter.recipients, "- Lưu: VT."]
        for j, part in enumerate(simpleSplit(line, regular, 11, 72 * mm))
    ]
    for part, continued in lines[:10]:
        y -= 13
        c.drawString(left + (2 * mm if continued else 0), y, part)
    if letter.authority:
        sy = bottom_block - 6
        sx = width - right - 42.5 * mm
        sy = centred(letter.authority, bold, 13, sx, sy)
        if letter.signer:
            centred(["(Đã ký)"], italic, 12, sx, sy - 30)
            centred([letter.signer], bold, 13, sx, sy - 90)
    c.showPage()
    c.save()
    return buffer.getvalue()


# --- the demo province's people --------------------------------------------------------------------------


class Output(Protocol):
    """Where the summary goes: ``self.stdout`` of a management command, ``sys.stdout``, a ``StringIO``."""

    def write(self, text: str, /) -> Any: ...


class DemoRefusedError(RuntimeError):
    """Demo documents are never loaded into a production database."""


@dataclass(frozen=True)
class ExtraStaff:
    """People the document flows need beyond the directory demo: a head for each internal unit that drafts
    documents (the unit head reviews a draft before the agency's leader approves it)."""

    username: str
    full_name: str
    agency: str  # a key of directory.demo_data (UNITS / DEPARTMENTS)
    role: str
    title: str


EXTRA_STAFF = (
    ExtraStaff("truongphong.tcbc", "Cao Văn Thịnh", "snv.tcbc", Role.LEADER, "Trưởng phòng"),
    ExtraStaff("truongphong.cchc", "La Thị Ngọc Bích", "snv.cchc", Role.LEADER, "Trưởng phòng"),
    ExtraStaff("truongphong.th", "Kiều Minh Trí", "vp.th", Role.LEADER, "Trưởng phòng"),
)


@dataclass
class Org:
    """An agency of the demo that receives documents: its clerk, leaders and the people who handle them."""

    key: str
    agency: Agency
    clerk: User
    leaders: list[User]
    handlers: list[User]
    weight: int


@dataclass
class Drafting:
    """Who drafts, reviews and signs outgoing documents in a unit."""

    org: Org
    unit: Agency
    drafter: User
    unit_head: User
    signers: list[User]  # the head (signs in own name) then deputies (sign "KT.")


@dataclass
class Result:
    created: bool = False
    incoming: int = 0
    outgoing_issued: int = 0
    outgoing_in_progress: int = 0
    delivered: int = 0
    certificates: int = 0
    registers: int = 0
    people: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step


class _Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def _place(province: Agency) -> tuple[str, str]:
    """(``THÀNH PHỐ CẦN THƠ`` for headers, ``Cần Thơ`` for the place-and-date line)."""
    from egov.directory.demo_data import place_name

    unit = place_name(province)
    short = unit
    for prefix in ("thành phố ", "tỉnh "):
        short = short.removeprefix(prefix)
    return unit.upper(), short


def _demo_agencies(province: Agency) -> dict[str, Agency]:
    """The demo's agencies by the keys of directory.demo_data, communes as ``commune1``/``commune2``."""
    from egov.directory.demo_data import DEPARTMENTS, STAFF, UNITS

    code = (province.admin_unit_code or "").zfill(2)
    agencies = {"province": province}
    for key in [d.key for d in DEPARTMENTS] + [u.key for u in UNITS]:
        agency = Agency.objects.filter(external_key=f"demo:{code}:{key}").first()
        if agency is not None:
            agencies[key] = agency
    for spec in STAFF:
        if spec.agency.startswith("commune") and spec.agency not in agencies:
            position = (
                Position.objects.active()
                .filter(user__username=spec.username, role=spec.role)
                .select_related("agency")
                .first()
            )
            if position is not None:
                agencies[spec.agency] = position.agency
    return agencies


def _ensure_extra_staff(agencies: dict[str, Agency], result: Result) -> None:
    from egov.directory import services as directory_services
    from egov.directory.demo_data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

    for spec in EXTRA_STAFF:
        agency = agencies.get(spec.agency)
        if agency is None:
            continue
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = directory_services.create_staff_user(
                actor=None,
                username=spec.username,
                full_name=spec.full_name,
                email=f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
                password=DEMO_PASSWORD,
            )
            result.people += 1
        if not Position.objects.active().filter(user=user, agency=agency, role=spec.role).exists():
            directory_services.assign_position(
                actor=None, user=user, agency=agency, role=spec.role, title=spec.title
            )


def _users(*usernames: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    return [found[name] for name in usernames if name in found]


def _orgs(agencies: dict[str, Agency]) -> list[Org]:
    # key, clerk, leaders, handlers, share of the incoming documents
    plan = (
        (
            "snv",
            "vanthu.snv",
            ("giamdoc.snv", "phogiamdoc.snv"),
            ("chuyenvien.tcbc", "chuyenvien.cchc", "truongphong.tcbc", "truongphong.cchc"),
            35,
        ),
        ("vp", "vanthu.vp", ("chanhvanphong", "phochanhvanphong"), ("chuyenvien.th", "truongphong.th"), 35),
        ("stp", "vanthu.stp", ("giamdoc.stp",), ("giamdoc.stp",), 15),  # a small office: the head handles
        ("commune1", "vanthu.xa1", ("chutich.xa1",), ("motcua.xa1",), 15),
    )
    orgs = []
    for key, clerk, leaders, handlers, weight in plan:
        agency = agencies.get(key)
        found_clerk = _users(clerk)
        found_leaders = _users(*leaders)
        found_handlers = _users(*handlers) or found_leaders
        if agency is None or not found_clerk or not found_leaders:
            continue
        orgs.append(Org(key, agency, found_clerk[0], found_leaders, found_handlers, weight))
    return orgs


def _draftings(orgs: list[Org], agencies: dict[str, Agency]) -> list[Drafting]:
    by_key = {o.key: o for o in orgs}
    plan = (
        ("snv", "snv.tcbc", "chuyenvien.tcbc", "truongphong.tcbc"),
        ("snv", "snv.cchc", "chuyenvien.cchc", "truongphong.cchc"),
        ("vp", "vp.th", "chuyenvien.th", "truongphong.th"),
    )
    result = []
    for org_key, unit_key, drafter, head in plan:
        org, unit = by_key.get(org_key), agencies.get(unit_key)
        people = _users(drafter, head)
        if org is None or unit is None or len(people) != 2:
            continue
        result.append(Drafting(org, unit, people[0], people[1], org.leaders))
    return result


# --- loading ---------------------------------------------------------------------------------------------


def _already_loaded(agencies: dict[str, Agency]) -> bool:
    from egov.documents.models import IncomingDocument, OutgoingDocument

    ids = [a.pk for a in agencies.values()]
    return (
        IncomingDocument.objects.filter(agency_id__in=ids).exists()
        or OutgoingDocument.objects.filter(agency_id__in=ids).exists()
    )


def _certificates(
    orgs: list[Org], draftings: list[Drafting], agencies: dict[str, Agency], result: Result
) -> None:
    from egov.directory.demo_data import DEPARTMENTS
    from egov.signing import selectors as signing_selectors
    from egov.signing import services as signing

    signing.ensure_builtin_ca(actor=None)
    signers = {(d.org.agency.pk, s.pk): (d.org.agency, s) for d in draftings for s in d.signers}
    for agency, user in signers.values():
        if signing_selectors.signing_certificate_for(user, agency) is None:
            signing.issue_personal_certificate(actor=None, user=user, agency=agency)
            result.certificates += 1
    for spec in DEPARTMENTS:
        department = agencies.get(spec.key)
        if department is not None and signing_selectors.agency_certificate_for(department) is None:
            signing.issue_agency_certificate(actor=None, agency=department)
            result.certificates += 1


def load(
    stdout: Output | None = None,
    *,
    province: Agency | None = None,
    scale: float | None = None,
    seed: int = SEED,
) -> Result:
    """Load the demo documents into the demo province (see the module docstring). Safe to run again.

    ``scale`` multiplies the numbers of documents; by default the Django setting
    ``EGOV_DEMO_DOCUMENTS_SCALE`` (1.0 when unset; ``0`` loads none), which lets test suites that run
    ``egov demo`` many times keep it short."""
    if scale is None:
        scale = float(getattr(settings, "EGOV_DEMO_DOCUMENTS_SCALE", 1.0))
    if settings.PRODUCTION:
        raise DemoRefusedError("refusing demo documents in production (EGOV_PRODUCTION=1)")

    def write(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")

    started = time.monotonic()
    result = Result()
    if province is None:
        from egov.directory.importers import KEY_PREFIX, MODEL_2025, PROVINCE

        code = settings.EGOV_DEMO_PROVINCE_CODE.strip().zfill(2)
        province = Agency.objects.filter(external_key=f"{KEY_PREFIX[MODEL_2025]}:{PROVINCE}:{code}").first()
        if province is None:
            write("Chưa có tỉnh trình diễn: chạy 'egov demo' trước / load the demo province first.")
            return result
    agencies = _demo_agencies(province)
    if scale <= 0:
        return result
    if _already_loaded(agencies):
        write("Văn bản trình diễn đã có sẵn, không tạo thêm / demo documents already present.")
        return result
    with context.bind(source="cli"), transaction.atomic():
        _load(province, agencies, result, random.Random(seed), scale)
    result.created = True
    result.seconds = time.monotonic() - started
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(result.by_status.items()))
    write(
        f"Văn bản trình diễn / demo documents: {result.incoming} văn bản đến / incoming ({statuses}); "
        f"{result.outgoing_issued} văn bản đi đã ký số và ban hành / outgoing signed and issued, "
        f"{result.delivered} lượt nhận trong hệ thống / delivered inside egov, "
        f"{result.outgoing_in_progress} đang xử lý / in progress; {result.certificates} chứng thư số / "
        f"certificates ({result.seconds:.1f} s: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
        + ")."
    )
    for problem in result.skipped:
        write(f"Bỏ qua / skipped: {problem}")
    if result.people:
        write(
            "Thêm tài khoản cho luồng văn bản / extra logins for the document flows: "
            + ", ".join(s.username for s in EXTRA_STAFF)
        )
    return result


def _load(
    province: Agency, agencies: dict[str, Agency], result: Result, rng: random.Random, scale: float
) -> None:
    from egov.documents import services
    from egov.documents.doctypes import ensure_document_types
    from egov.documents.models import DocumentType

    started = time.monotonic()
    if not DocumentType.objects.filter(code="cong-van").exists():
        ensure_document_types()
    doctypes = {t.code: t for t in DocumentType.objects.all()}
    for agency in agencies.values():
        if agency.kind != Agency.Kind.UNIT:
            result.registers += len(services.ensure_default_registers(actor=None, agency=agency))
    _ensure_extra_staff(agencies, result)
    orgs = _orgs(agencies)
    draftings = _draftings(orgs, agencies)
    _certificates(orgs, draftings, agencies, result)
    mark = time.monotonic()
    result.phases["setup"] = mark - started
    writer = _Writer(province, agencies, doctypes, rng, result)
    writer.incoming(orgs, max(1, round(INCOMING * scale)))
    result.phases["incoming"] = time.monotonic() - mark
    mark = time.monotonic()
    writer.outgoing(draftings, orgs, max(1, round(OUTGOING * scale)), max(1, round(8 * scale)))
    result.phases["outgoing"] = time.monotonic() - mark
    from django.db.models import Count

    from egov.documents.models import IncomingDocument

    rows = (
        IncomingDocument.objects.filter(agency_id__in=[a.pk for a in agencies.values()])
        .values("status")
        .annotate(n=Count("id"))
        .order_by("status")
    )
    result.by_status = {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Sender:
    """Who a received document comes from, and how its first page is headed."""

    name: str
    short: str
    units: tuple[str, ...]
    head: str
    deputy: str
    body_above: str = ""
    header: str = ""
    agency: Agency | None = None


class _Writer:
    """Creates the documents, one service call per step."""

    def __init__(
        self,
        province: Agency,
        agencies: dict[str, Agency],
        doctypes: dict[str, Any],
        rng: random.Random,
        result: Result,
    ) -> None:
        self.province = province
        self.agencies = agencies
        self.doctypes = doctypes
        self.rng = rng
        self.result = result
        self.header_place, self.place = _place(province)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.senders = self._senders()

    # senders and texts

    def _senders(self) -> list[Sender]:
        senders = [Sender(n, s, u, h, d, header=n.upper()) for n, s, u, h, d in CENTRAL]
        for key, agency in self.agencies.items():
            if agency.kind == Agency.Kind.UNIT or not agency.short_name:
                continue
            if key == "province":
                senders.append(
                    Sender(
                        agency.name,
                        agency.short_name,
                        LOCAL_UNITS,
                        "Chủ tịch",
                        "Phó Chủ tịch",
                        header=agency.name.upper(),
                        agency=agency,
                    )
                )
            elif key == "vp":
                senders.append(
                    Sender(
                        agency.name,
                        agency.short_name,
                        ("TH", "HCTC", "KSTTHC"),
                        "Chánh Văn phòng",
                        "Phó Chánh Văn phòng",
                        body_above=f"ỦY BAN NHÂN DÂN {self.header_place}",
                        header="VĂN PHÒNG",
                        agency=agency,
                    )
                )
            elif agency.kind == Agency.Kind.DEPARTMENT:
                own = agency.name.removesuffix(" " + place_lower(self.header_place)).upper()
                head = "Giám đốc"
                senders.append(
                    Sender(
                        agency.name,
                        agency.short_name,
                        ("VP", "NV", "KHTC"),
                        head,
                        "Phó " + head.lower(),
                        body_above=f"ỦY BAN NHÂN DÂN {self.header_place}",
                        header=own,
                        agency=agency,
                    )
                )
            else:
                senders.append(
                    Sender(
                        agency.name,
                        agency.short_name,
                        ("VP",),
                        "Chủ tịch",
                        "Phó Chủ tịch",
                        header=agency.name.upper(),
                        agency=agency,
                    )
                )
        return senders

    def _number(self, central: bool) -> str:
        return f"{self.rng.randint(1, 2400 if central else 900):02d}"

    def _notation(self, type_code: str, short: str, unit: str) -> str:
        if type_code == "cong-van":
            return f"{short}-{unit}"
        return f"{self.doctypes[type_code].abbreviation}-{short}"

    def _body(self, type_code: str, subject: str, sender: str, recipient: str, date: dt.date) -> list[str]:
        what = subject.removeprefix("Về việc ")
        what = what[:1].lower() + what[1:]
        deadline = calendar.add_working_days(date, self.rng.randint(5, 15))
        basis = self.rng.choice(
            (
                "Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư",
                "Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị về đột phá phát triển "
                "khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
                "Quyết định số 06/QĐ-TTg ngày 06 tháng 01 năm 2022 của Thủ tướng Chính phủ",
                "chương trình công tác năm 2026",
            )
        )
        if type_code == "cong-van":
            return [
                f"Thực hiện {basis}, {sender} đề nghị {recipient} quan tâm, chỉ đạo các cơ quan, đơn vị "
                f"liên quan thực hiện việc {what}.",
                f"Văn bản, số liệu gửi về {sender} trước ngày {deadline:%d/%m/%Y} qua Hệ thống quản lý văn "
                "bản và điều hành để tổng hợp, báo cáo cấp có thẩm quyền.",
                "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh về "
                f"{sender} để được hướng dẫn, giải quyết./.",
            ]
        if type_code == "quyet-dinh":
            return [
                f"Điều 1. {what[:1].upper() + what[1:]} (chi tiết tại Phụ lục kèm theo Quyết định này).",
                "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
                "Điều 3. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị và cá nhân có liên quan chịu trách "
                "nhiệm thi hành Quyết định này./.",
            ]
        if type_code == "giay-moi":
            hour = self.rng.choice(("07 giờ 30", "08 giờ 00", "14 giờ 00"))
            return [
                f"{sender} trân trọng kính mời {recipient} tham dự: {what}.",
                f"Thời gian: {hour}, ngày {deadline:%d/%m/%Y}. Địa điểm: Hội trường {sender}.",
                "Đề nghị đại biểu nghiên cứu tài liệu trước và tham dự đúng thành phần./.",
            ]
        return [
            f"Căn cứ {basis}, {sender} {self.doctypes[type_code].name.lower()} {what} như sau:",
            "1. Mục đích, yêu cầu: bám sát nhiệm vụ được giao, bảo đảm đúng tiến độ, chất lượng; phân công "
            "rõ người, rõ việc, rõ thời hạn, rõ kết quả.",
            f"2. Tổ chức thực hiện: các cơ quan, đơn vị báo cáo kết quả trước ngày {deadline:%d/%m/%Y}./.",
        ]

    def _letter(
        self,
        *,
        sender: Sender,
        type_code: str,
        subject: str,
        number_notation: str,
        date: dt.date | None,
        recipient: str,
        recipients: list[str],
        authority: list[str],
        signer: str,
    ) -> bytes:
        type_name = self.doctypes[type_code].name
        date_for_text = date or self.today
        enacting, decree = "", []
        if type_code == "quyet-dinh":
            enacting = f"{sender.head} {sender.name}"
            decree = [
                "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
                "Theo đề nghị của Chánh Văn phòng.",
            ]
        return render_letter(
            Letter(
                body_above=sender.body_above,
                issuer=sender.header,
                number_notation=number_notation,
                place=self.place,
                date=date,
                type_name=type_name,
                subject=subject,
                body=self._body(type_code, subject, sender.name, recipient, date_for_text),
                recipients=recipients,
                authority=authority,
                signer=signer,
                cong_van=type_code == "cong-van",
                decree_lines=decree,
                enacting=enacting,
            )
        )

    # incoming

    def _arrivals(self, n: int) -> list[dt.datetime]:
        days = [self.today - dt.timedelta(days=k) for k in range(150)]
        days = [d for d in days if calendar.is_working_day(d)] or [self.today]
        latest = self.now - dt.timedelta(minutes=5)
        moments = []
        for _i in range(n):
            day = self.rng.choice(days)
            minute = self.rng.randint(7 * 60 + 30, 16 * 60 + 30)
            moment = timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))
            moments.append(min(moment, latest))
        return sorted(moments)

    # The newest documents cycle through the early statuses, and the open ones through late / due soon /
    # later deadlines, so that even a small demo (tests) shows each case.
    NEWEST = ("registered", "presented", "assigned", "in_progress", "registered", "presented", "assigned")
    DEADLINES = ("late", "due_soon", "later", "later")

    def _status(self, age: float, newest_seen: int) -> str:
        options = ("registered", "presented", "assigned", "in_progress", "completed")
        if age >= 0.8:  # the newest: many still waiting for the leader
            return self.NEWEST[newest_seen % len(self.NEWEST)]
        weights = (0, 0, 10, 15, 75) if age < 0.45 else (0, 0, 30, 40, 30)  # older ones: mostly done
        return self.rng.choices(options, weights=weights)[0]

    def _due(self, status: str, arrival: dt.date, open_seen: int) -> dt.date | None:
        r = self.rng.random()
        if status == "completed":
            return None if r < 0.2 else calendar.add_working_days(arrival, self.rng.randint(5, 15))
        if status in ("registered", "presented"):
            return calendar.add_working_days(self.today, self.rng.randint(1, 15)) if r < 0.3 else None
        kind = self.DEADLINES[open_seen % len(self.DEADLINES)]
        waited = (self.today - arrival).days
        if kind == "late" and waited >= 2:  # due between arrival and yesterday
            return arrival + dt.timedelta(days=self.rng.randint(1, waited - 1))
        if kind in ("late", "due_soon"):
            return calendar.add_working_days(self.today, self.rng.choice((0, 1, 2)))
        return calendar.add_working_days(self.today, self.rng.randint(5, 20))

    def incoming(self, orgs: list[Org], n: int) -> None:
        from egov.documents import services
        from egov.documents.models import Confidentiality, IncomingDocument
        from egov.documents.services import AssignmentSpec

        if not orgs:
            return
        units = {
            p.user_id: p.agency
            for p in Position.objects.active()
            .filter(user__in=[u for o in orgs for u in o.handlers], agency__kind=Agency.Kind.UNIT)
            .select_related("agency")
        }
        rng = self.rng
        newest_seen = open_seen = 0
        for i, arrival in enumerate(self._arrivals(n)):
            org = rng.choices(orgs, weights=[o.weight for o in orgs])[0]
            status = self._status(i / n, newest_seen)
            newest_seen += i / n >= 0.8
            due = self._due(status, timezone.localtime(arrival).date(), open_seen)
            open_seen += status in ("assigned", "in_progress")
            type_code = pick_type(rng)
            sender = rng.choice([s for s in self.senders if s.agency is None or s.agency.pk != org.agency.pk])
            central = sender.agency is None
            arrival_day = timezone.localtime(arrival).date()
            issued = arrival_day - dt.timedelta(days=rng.randint(0, 6))
            number = self._number(central)
            notation = self._notation(type_code, sender.short, rng.choice(sender.units))
            subject = subject_for(rng, type_code)
            deputy = rng.random() < 0.7
            signer = person_name(rng)
            authority = (
                [f"KT. {sender.head.upper()}", sender.deputy.upper()] if deputy else [sender.head.upper()]
            )
            pdf = self._letter(
                sender=sender,
                type_code=type_code,
                subject=subject,
                number_notation=f"{number}/{notation}",
                date=issued,
                recipient=org.agency.name,
                recipients=[f"- {org.agency.name};", "- Như trên;"],
                authority=authority,
                signer=signer,
            )
            secret = i % 20 == 10  # one in twenty: in the secret register, its own number series
            doc = services.register_incoming(
                actor=org.clerk,
                agency=org.agency,
                document_type=self.doctypes[type_code],
                subject=subject,
                issuing_agency=sender.agency,
                issuing_agency_name=sender.name,
                code_number=number,
                code_notation=notation,
                issued_date=issued,
                signer_name=signer,
                signer_position=sender.deputy if deputy else sender.head,
                urgency=rng.choices((0, 1, 2, 3), weights=(80, 12, 6, 2))[0],
                confidentiality=Confidentiality.SECRET if secret else Confidentiality.NORMAL,
                page_count=1,
                due_date=due,
                arrival_date=arrival,
                source=rng.choice((IncomingDocument.Source.PAPER, IncomingDocument.Source.UPLOAD)),
                files=[_Upload(pdf, f"{number}_{fold_name(notation)}.pdf")],
            )
            self.result.incoming += 1
            if status == "registered":
                continue
            leader = org.leaders[0] if rng.random() < 0.6 else rng.choice(org.leaders)
            services.present(actor=org.clerk, document=doc, leader=leader)
            if status == "presented":
                continue
            handler = rng.choice(org.handlers)
            unit = units.get(handler.pk)
            head_of_unit = unit is not None and "truongphong" in handler.username
            if head_of_unit and not secret and rng.random() < 0.4:
                lead = AssignmentSpec("lead", unit=unit)
            else:
                lead = AssignmentSpec("lead", user=handler)
            others = [h for h in org.handlers if h.pk != handler.pk]
            cooperate = (
                [AssignmentSpec("cooperate", user=rng.choice(others))]
                if others and rng.random() < 0.25
                else []
            )
            services.assign(
                actor=leader,
                document=doc,
                direction=rng.choice(DIRECTIONS),
                lead=lead,
                cooperate=cooperate,
                deadline_working_days=None if doc.due_date else rng.randint(5, 15),
            )
            if status == "assigned":
                continue
            actor = handler
            if head_of_unit and unit is not None and rng.random() < 0.35:
                staff = [h for h in org.handlers if h.pk != handler.pk and units.get(h.pk) == unit]
                if staff:
                    services.forward(actor=handler, document=doc, to=staff[0], note="Giao chuyên viên xử lý.")
                    actor = staff[0]
            services.add_opinion(actor=actor, document=doc, text=rng.choice(OPINIONS))
            if status == "in_progress":
                continue
            services.complete(actor=actor, document=doc, summary="Đã tham mưu xử lý, báo cáo lãnh đạo.")

    # outgoing

    def outgoing(self, draftings: list[Drafting], orgs: list[Org], n_issued: int, n_inflight: int) -> None:
        from egov.documents import outgoing, services
        from egov.documents.services import AssignmentSpec

        if not draftings:
            return
        rng = self.rng
        pool = [a for a in self.agencies.values() if a.kind != Agency.Kind.UNIT]
        orgs_by_agency = {o.agency.pk: o for o in orgs}
        head_titles = {
            p.user_id: p.title
            for p in Position.objects.active().filter(user__in=[d.signers[0] for d in draftings])
        }
        inflight = ("draft", "in_review", "pending_approval", "approved", "signed")
        for i in range(n_issued + n_inflight):
            d = draftings[i % len(draftings)]
            target = "issued" if i < n_issued else inflight[(i - n_issued) % len(inflight)]
            type_code = (
                "cong-van"
                if rng.random() < 0.55
                else rng.choice(("quyet-dinh", "ke-hoach", "thong-bao", "bao-cao", "giay-moi"))
            )
            subject = subject_for(rng, type_code)
            signer = d.signers[0] if rng.random() < 0.4 or len(d.signers) == 1 else rng.choice(d.signers[1:])
            head_title = head_titles.get(d.signers[0].pk) or "Thủ trưởng cơ quan"
            authority = "" if signer.pk == d.signers[0].pk else f"KT. {head_title}"
            recipients = rng.sample([a for a in pool if a.pk != d.org.agency.pk], k=rng.randint(1, 3))
            agency = d.org.agency
            sender = Sender(
                agency.name,
                agency.short_name,
                (d.unit.short_name,),
                head_title,
                "",
                body_above=f"ỦY BAN NHÂN DÂN {self.header_place}",
                header=agency.name.removesuffix(" " + place_lower(self.header_place)).upper(),
                agency=agency,
            )
            notation = self._notation(type_code, agency.short_name, d.unit.short_name)
            pdf = self._letter(
                sender=sender,
                type_code=type_code,
                subject=subject,
                number_notation=f"{' ' * 8}/{notation}",  # the number is given at issue
                date=None,
                recipient=recipients[0].name,
                recipients=[*(f"- {a.name};" for a in recipients)],
                authority=[],  # the signer's digital signature draws the title line and the name
                signer="",
            )
            doc = outgoing.create_draft(
                actor=d.drafter,
                agency=agency,
                document_type=self.doctypes[type_code],
                subject=subject,
                drafting_unit=d.unit,
                signer=signer,
                signing_authority=authority,
                recipients=recipients,
                recipients_text=f"- Lưu: VT, {d.unit.short_name}.",
                urgency=rng.choices((0, 1, 2), weights=(85, 12, 3))[0],
                files=[_Upload(pdf, f"du-thao-{fold_name(subject)[:40]}.pdf")],
            )
            if target == "draft":
                self.result.outgoing_in_progress += 1
                continue
            outgoing.submit(actor=d.drafter, document=doc)
            if target != "in_review" and rng.random() < 0.15:
                outgoing.review(
                    actor=d.unit_head,
                    document=doc,
                    approve=False,
                    note="Đề nghị bổ sung số liệu, căn cứ pháp lý.",
                )
                outgoing.submit(actor=d.drafter, document=doc)
            if target == "in_review":
                self.result.outgoing_in_progress += 1
                continue
            outgoing.review(actor=d.unit_head, document=doc, approve=True, note="Đồng ý, trình lãnh đạo.")
            if target == "pending_approval":
                self.result.outgoing_in_progress += 1
                continue
            outgoing.approve(actor=signer, document=doc)
            if target == "approved":
                self.result.outgoing_in_progress += 1
                continue
            outgoing.sign(actor=signer, document=doc)
            if target == "signed":
                self.result.outgoing_in_progress += 1
                continue
            doc = outgoing.issue(actor=d.org.clerk, document=doc)
            self.result.outgoing_issued += 1
            for rcpt in doc.recipients.select_related("incoming"):
                self.result.delivered += rcpt.incoming_id is not None
                org = orgs_by_agency.get(rcpt.agency_id or 0)
                if org is None or rcpt.incoming is None or rng.random() > 0.6:
                    continue
                received = services.accept_received(actor=org.clerk, document=rcpt.incoming)
                if rng.random() < 0.5:
                    services.assign(
                        actor=org.leaders[0],
                        document=received,
                        direction=rng.choice(DIRECTIONS),
                        lead=AssignmentSpec("lead", user=rng.choice(org.handlers)),
                        deadline_working_days=rng.randint(5, 10),
                    )


def place_lower(header_place: str) -> str:
    """``THÀNH PHỐ CẦN THƠ`` → ``thành phố Cần Thơ`` (as in ``Sở Nội vụ thành phố Cần Thơ``)."""
    words = header_place.split()
    lower = {"THÀNH", "PHỐ", "TỈNH"}
    return " ".join(w.lower() if w in lower else w.title() for w in words)


def fold_name(text: str) -> str:
    """An ASCII file-name fragment: ``QĐ-UBND`` → ``QD-UBND``."""
    from egov.core.text import fold

    return "-".join(
        part for part in "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()
    ).upper()
