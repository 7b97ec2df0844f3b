"""Demo procedure catalogue (danh mục thủ tục trình diễn) for the demo province: ``egov demo`` loads it.

About 25 real procedures of a province after the 2025 reform (commune level: hộ tịch, cư trú, chứng thực,
xây dựng nhà ở riêng lẻ, hộ kinh doanh, đất đai, BHYT, chính sách, giáo dục; province level: lý lịch tư
pháp, y tế, nội vụ) with their national codes, papers (with a generated blank DOCX form for the main
declarations), execution methods per channel (working days, fees in đồng), online level, a process
template (one-stop desk → specialist → leader → return) and the demo province's agencies: commune-level
procedures are received and decided by every commune's People's Committee, province-level ones received by
the Trung tâm Phục vụ hành chính công and decided by the competent department. Both inter-linked groups of
Nghị định 63/2024 are created.

**Codes**: ``verified=True`` marks codes checked against a public copy of the national catalogue
(dichvucong.gov.vn pages quoted in public sources); the others are given as best known and may differ from
the current national code (the national catalogue renumbers procedures when it re-publishes them). The list
with the status of each code is in ``docs/procedures.md``. Fees and times follow the laws named in each
procedure's legal bases as they stood in 2025; a province's own decisions may differ.

Idempotent: a procedure (by code) or group (by code) that exists is left as it is; a second run writes
nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from egov.core import context
from egov.directory.models import Agency, Role
from egov.procedures import services
from egov.procedures.models import Channel, Procedure, ProcedureAgency, ProcedureGroup

Part = ProcedureAgency.Part
D, ONL, P = Channel.DIRECT, Channel.ONLINE, Channel.POSTAL
FULL, PARTIAL, NONE = Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL, Procedure.OnlineLevel.NONE
COMMUNE, PROVINCE = Procedure.Level.COMMUNE, Procedure.Level.PROVINCE


class Output(Protocol):
    def write(self, text: str) -> Any: ...


@dataclass(frozen=True)
class Paper:
    name: str
    originals: int = 1
    copies: int = 0
    required: bool = True
    case: str = ""
    form: str = ""  # name of the blank form generated for this paper (DOCX)
    code: str = ""


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    field: tuple[str, str]  # (code, name)
    level: str
    days: Decimal | int | str  # working days, every channel unless ``channel_days``
    channels: tuple[int, ...]
    online: str
    papers: tuple[Paper, ...]
    legal: tuple[tuple[str, str], ...]
    result: str
    fee: int = 0
    fee_online: int | None = None
    fee_note: str = ""
    time_note: str = ""
    executing_text: str = "Ủy ban nhân dân cấp xã"
    department: str = ""  # demo department key for province-level procedures
    applicants: str = "Công dân Việt Nam"
    verified: bool = False
    source: str = ""


HT = ("HT", "Hộ tịch")
CT = ("CTRU", "Đăng ký, quản lý cư trú")
CTH = ("CTHUC", "Chứng thực")
XD = ("XD", "Hoạt động xây dựng")
HKD = ("HKD", "Thành lập và hoạt động của hộ kinh doanh")
DD = ("DD", "Đất đai")
BHYT = ("BHYT", "Bảo hiểm y tế")
BTXH = ("BTXH", "Bảo trợ xã hội")
GD = ("GDDT", "Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân")
LLTP = ("LLTP", "Lý lịch tư pháp")
KCB = ("KCB", "Khám bệnh, chữa bệnh")
TG = ("TGTN", "Tín ngưỡng, tôn giáo")

LUAT_HO_TICH = ("60/2014/QH13", "Luật Hộ tịch")
ND_123 = ("123/2015/NĐ-CP", "Nghị định quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch")
TT_04 = ("04/2020/TT-BTP", "Thông tư quy định chi tiết thi hành Luật Hộ tịch và Nghị định 123/2015/NĐ-CP")
LUAT_CU_TRU = ("68/2020/QH14", "Luật Cư trú")
ND_154 = ("154/2024/NĐ-CP", "Nghị định quy định chi tiết một số điều của Luật Cư trú")
TT_75 = ("75/2022/TT-BTC", "Thông tư quy định mức thu, chế độ thu, nộp lệ phí đăng ký cư trú")
ND_23 = (
    "23/2015/NĐ-CP",
    "Nghị định về cấp bản sao từ sổ gốc, chứng thực bản sao từ bản chính, chứng thực chữ ký",
)
ND_63 = ("63/2024/NĐ-CP", "Nghị định quy định thực hiện liên thông điện tử 02 nhóm thủ tục hành chính")
TT_226 = ("226/2016/TT-BTC", "Thông tư quy định mức thu phí chứng thực")
TT_281 = ("281/2016/TT-BTC", "Thông tư quy định mức thu phí, lệ phí trong lĩnh vực tư pháp")

DECLARATION = "Tờ khai"

SPECS: tuple[Spec, ...] = (
    # --- Hộ tịch (commune) ---------------------------------------------------------------------------------
    Spec(
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        HT,
        COMMUNE,
        1,
        (D, ONL, P),
        FULL,
        (
            Paper("Tờ khai đăng ký khai sinh", form="Tờ khai đăng ký khai sinh"),
            Paper("Giấy chứng sinh hoặc giấy tờ thay thế Giấy chứng sinh", code="GIAY_CHUNG_SINH"),
            Paper(
                "Giấy tờ chứng minh nơi cư trú (trường hợp không khai thác được Cơ sở dữ liệu quốc gia "
                "về dân cư)",
                required=False,
            ),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Giấy khai sinh (bản chính), bản điện tử Giấy khai sinh",
        fee_note="Miễn lệ phí khi đăng ký đúng hạn (Luật Hộ tịch, Điều 11)",
        time_note="Ngay trong ngày tiếp nhận; hồ sơ nhận sau 15 giờ trả trong ngày làm việc tiếp theo",
        verified=True,
        source="dichvucong.gov.vn ma_thu_tuc=1.001193",
    ),
    Spec(
        "1.000894",
        "Thủ tục đăng ký kết hôn",
        HT,
        COMMUNE,
        5,
        (D, ONL),
        PARTIAL,
        (
            Paper("Tờ khai đăng ký kết hôn", form="Tờ khai đăng ký kết hôn"),
            Paper(
                "Giấy xác nhận tình trạng hôn nhân (trường hợp đăng ký kết hôn tại nơi không thường trú)",
                required=False,
                code="GIAY_XAC_NHAN_TTHN",
            ),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Giấy chứng nhận kết hôn",
        fee_note="Miễn lệ phí đối với công dân Việt Nam cư trú ở trong nước",
        time_note="Ngay trong ngày; cần xác minh thì không quá 05 ngày làm việc; hai bên có mặt khi nhận",
    ),
    Spec(
        "1.000656",
        "Thủ tục đăng ký khai tử",
        HT,
        COMMUNE,
        3,
        (D, ONL, P),
        FULL,
        (
            Paper("Tờ khai đăng ký khai tử", form="Tờ khai đăng ký khai tử"),
            Paper("Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử", code="GIAY_BAO_TU"),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Trích lục khai tử",
        fee_note="Miễn lệ phí khi đăng ký đúng hạn",
        time_note="Ngay trong ngày; cần xác minh thì không quá 03 ngày làm việc",
        verified=True,
        source="public list of khai tử procedures quoting 1.000656",
    ),
    Spec(
        "2.000635",
        "Thủ tục cấp bản sao Trích lục hộ tịch",
        HT,
        COMMUNE,
        1,
        (D, ONL, P),
        FULL,
        (Paper("Tờ khai cấp bản sao trích lục hộ tịch", form="Tờ khai cấp bản sao trích lục hộ tịch"),),
        (LUAT_HO_TICH, ND_123, TT_281),
        "Bản sao trích lục hộ tịch",
        fee=8000,
        fee_note="Phí cấp bản sao trích lục: 8.000 đồng/bản (Thông tư 281/2016/TT-BTC)",
    ),
    Spec(
        "1.004873",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        HT,
        COMMUNE,
        3,
        (D, ONL, P),
        FULL,
        (
            Paper(
                "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
                form="Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
            ),
            Paper(
                "Bản án, quyết định ly hôn đã có hiệu lực (trường hợp đã ly hôn)",
                originals=0,
                copies=1,
                required=False,
            ),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Giấy xác nhận tình trạng hôn nhân",
        fee_note="Lệ phí theo nghị quyết của Hội đồng nhân dân tỉnh",
    ),
    Spec(
        "1.004859",
        "Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        HT,
        COMMUNE,
        3,
        (D, ONL),
        PARTIAL,
        (
            Paper(
                "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
                form="Tờ khai thay đổi, cải chính, bổ sung thông tin hộ tịch",
            ),
            Paper("Giấy tờ làm căn cứ thay đổi, cải chính, bổ sung thông tin hộ tịch", originals=0, copies=1),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Trích lục thay đổi, cải chính, bổ sung thông tin hộ tịch",
        fee_note="Lệ phí theo nghị quyết của Hội đồng nhân dân tỉnh",
        time_note="03 ngày làm việc; cần xác minh thì kéo dài không quá 03 ngày làm việc",
    ),
    Spec(
        "1.001022",
        "Thủ tục đăng ký nhận cha, mẹ, con",
        HT,
        COMMUNE,
        3,
        (D, ONL),
        PARTIAL,
        (
            Paper("Tờ khai đăng ký nhận cha, mẹ, con", form="Tờ khai đăng ký nhận cha, mẹ, con"),
            Paper("Chứng cứ chứng minh quan hệ cha, mẹ, con (văn bản giám định ADN …)"),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Trích lục đăng ký nhận cha, mẹ, con",
        fee_note="Lệ phí theo nghị quyết của Hội đồng nhân dân tỉnh",
    ),
    Spec(
        "1.000689",
        "Thủ tục đăng ký khai sinh kết hợp nhận cha, mẹ, con",
        HT,
        COMMUNE,
        3,
        (D, ONL),
        PARTIAL,
        (
            Paper("Tờ khai đăng ký khai sinh", form="Tờ khai đăng ký khai sinh"),
            Paper("Tờ khai đăng ký nhận cha, mẹ, con", form="Tờ khai đăng ký nhận cha, mẹ, con"),
            Paper("Giấy chứng sinh", code="GIAY_CHUNG_SINH"),
            Paper("Chứng cứ chứng minh quan hệ cha, mẹ, con"),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Giấy khai sinh, Trích lục đăng ký nhận cha, mẹ, con",
        fee_note="Miễn lệ phí đăng ký khai sinh đúng hạn; nhận cha, mẹ, con theo nghị quyết HĐND tỉnh",
    ),
    Spec(
        "1.000893",
        "Thủ tục đăng ký giám hộ",
        HT,
        COMMUNE,
        3,
        (D, ONL),
        PARTIAL,
        (
            Paper("Tờ khai đăng ký giám hộ", form="Tờ khai đăng ký giám hộ"),
            Paper("Văn bản cử người giám hộ hoặc giấy tờ chứng minh điều kiện giám hộ đương nhiên"),
        ),
        (LUAT_HO_TICH, ND_123, TT_04),
        "Trích lục đăng ký giám hộ",
        fee_note="Miễn lệ phí (Luật Hộ tịch, Điều 11)",
    ),
    # --- Cư trú (commune; decided by the commune police, received at the commune one-stop desk) ---------
    Spec(
        "1.004222",
        "Đăng ký thường trú",
        CT,
        COMMUNE,
        7,
        (D, ONL),
        FULL,
        (
            Paper(
                "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)", form="Tờ khai thay đổi thông tin cư trú CT01"
            ),
            Paper("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", originals=0, copies=1),
        ),
        (LUAT_CU_TRU, ND_154, TT_75),
        "Thông báo kết quả đăng ký thường trú",
        fee=20000,
        fee_online=10000,
        fee_note="Lệ phí 20.000 đồng; nộp trực tuyến 10.000 đồng (Thông tư 75/2022/TT-BTC)",
        executing_text="Công an cấp xã",
        verified=True,
        source="dichvucong.gov.vn ma_thu_tuc=1.004222 (page quoted in public sources)",
    ),
    Spec(
        "1.004194",
        "Đăng ký tạm trú",
        CT,
        COMMUNE,
        3,
        (D, ONL),
        FULL,
        (
            Paper(
                "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)", form="Tờ khai thay đổi thông tin cư trú CT01"
            ),
            Paper("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", originals=0, copies=1),
        ),
        (LUAT_CU_TRU, ND_154, TT_75),
        "Thông báo kết quả đăng ký tạm trú",
        fee=15000,
        fee_online=7000,
        fee_note="Lệ phí 15.000 đồng; nộp trực tuyến 7.000 đồng (Thông tư 75/2022/TT-BTC)",
        executing_text="Công an cấp xã",
    ),
    Spec(
        "1.004206",
        "Xóa đăng ký thường trú",
        CT,
        COMMUNE,
        1,
        (D, ONL),
        FULL,
        (
            Paper(
                "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)", form="Tờ khai thay đổi thông tin cư trú CT01"
            ),
            Paper(
                "Giấy tờ, tài liệu chứng minh thuộc trường hợp xóa đăng ký thường trú", originals=0, copies=1
            ),
        ),
        (LUAT_CU_TRU, ND_154),
        "Thông báo kết quả xóa đăng ký thường trú",
        fee_note="Không thu lệ phí",
        executing_text="Công an cấp xã",
    ),
    # --- Chứng thực (commune) ----------------------------------------------------------------------------
    Spec(
        "2.000815",
        "Thủ tục chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt "
        "Nam cấp hoặc chứng nhận",
        CTH,
        COMMUNE,
        1,
        (D,),
        NONE,
        (
            Paper("Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao"),
            Paper("Bản sao cần chứng thực", originals=0, copies=1),
        ),
        (ND_23, TT_226),
        "Bản sao được chứng thực từ bản chính",
        fee=2000,
        fee_note="2.000 đồng/trang; từ trang thứ ba 1.000 đồng/trang, tối đa 200.000 đồng/bản",
        time_note="Trong ngày tiếp nhận; hồ sơ nhận sau 15 giờ trả trong ngày làm việc tiếp theo",
    ),
    Spec(
        "2.000884",
        "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản",
        CTH,
        COMMUNE,
        1,
        (D,),
        NONE,
        (
            Paper(
                "Giấy tờ, văn bản cần chứng thực chữ ký (người yêu cầu ký trước mặt người thực hiện chứng "
                "thực)"
            ),
        ),
        (ND_23, TT_226),
        "Giấy tờ, văn bản được chứng thực chữ ký",
        fee=10000,
        fee_note="10.000 đồng/trường hợp",
    ),
    # --- Xây dựng, hộ kinh doanh, đất đai (commune after 01/7/2025) -----------------------------------------
    Spec(
        "1.009994",
        "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        XD,
        COMMUNE,
        15,
        (D, ONL, P),
        PARTIAL,
        (
            Paper(
                "Đơn đề nghị cấp giấy phép xây dựng (Mẫu số 01)", form="Đơn đề nghị cấp giấy phép xây dựng"
            ),
            Paper("Giấy tờ hợp pháp về quyền sử dụng đất", originals=0, copies=1),
            Paper("Hai bộ bản vẽ thiết kế xây dựng", originals=2),
        ),
        (
            ("50/2014/QH13", "Luật Xây dựng"),
            ("175/2024/NĐ-CP", "Nghị định quy định chi tiết Luật Xây dựng về quản lý hoạt động xây dựng"),
        ),
        "Giấy phép xây dựng",
        fee=75000,
        fee_note="Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ theo nghị quyết HĐND tỉnh (mức trình diễn)",
        executing_text="Ủy ban nhân dân cấp xã",
    ),
    Spec(
        "2.000720",
        "Đăng ký thành lập hộ kinh doanh",
        HKD,
        COMMUNE,
        3,
        (D, ONL, P),
        FULL,
        (
            Paper("Giấy đề nghị đăng ký hộ kinh doanh", form="Giấy đề nghị đăng ký hộ kinh doanh"),
            Paper(
                "Biên bản họp thành viên hộ gia đình về việc thành lập hộ kinh doanh (trường hợp các thành "
                "viên hộ gia đình đăng ký)",
                required=False,
            ),
        ),
        (("168/2025/NĐ-CP", "Nghị định về đăng ký doanh nghiệp"),),
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        fee=100000,
        fee_note="Lệ phí theo nghị quyết HĐND tỉnh (mức trình diễn); miễn khi nộp trực tuyến ở nhiều tỉnh",
        verified=True,
        source="public listing: 2.000720 Đăng ký thành lập hộ kinh doanh, 3 ngày",
        applicants="Cá nhân, thành viên hộ gia đình",
    ),
    Spec(
        "2.000575",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        HKD,
        COMMUNE,
        3,
        (D, ONL, P),
        FULL,
        (
            Paper(
                "Thông báo thay đổi nội dung đăng ký hộ kinh doanh",
                form="Thông báo thay đổi nội dung đăng ký hộ kinh doanh",
            ),
        ),
        (("168/2025/NĐ-CP", "Nghị định về đăng ký doanh nghiệp"),),
        "Giấy chứng nhận đăng ký hộ kinh doanh (cấp đổi)",
        fee=0,
        fee_note="Lệ phí theo nghị quyết HĐND tỉnh",
    ),
    Spec(
        "1.012795",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        DD,
        COMMUNE,
        10,
        (D, ONL, P),
        PARTIAL,
        (
            Paper(
                "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất (Mẫu số 11/ĐK)",
                form="Đơn đăng ký biến động đất đai",
            ),
            Paper("Giấy chứng nhận đã cấp", code="GCN_QSDD"),
            Paper("Hợp đồng, văn bản về chuyển quyền đã công chứng hoặc chứng thực"),
        ),
        (
            ("31/2024/QH15", "Luật Đất đai"),
            ("101/2024/NĐ-CP", "Nghị định quy định về điều tra cơ bản đất đai; đăng ký, cấp Giấy chứng nhận"),
        ),
        "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất; xác nhận biến động",
        fee_note="Lệ phí, phí thẩm định theo nghị quyết HĐND tỉnh",
        executing_text="Văn phòng đăng ký đất đai, Chi nhánh Văn phòng đăng ký đất đai",
    ),
    # --- Liên thông partners (commune) -------------------------------------------------------------------
    Spec(
        "1.000026",
        "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        BHYT,
        COMMUNE,
        5,
        (D, ONL),
        FULL,
        (
            Paper(
                "Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế (Mẫu TK1-TS)",
                form="Tờ khai TK1-TS",
            ),
        ),
        (("25/2008/QH12", "Luật Bảo hiểm y tế"), ND_63),
        "Thẻ bảo hiểm y tế",
        fee_note="Không thu phí (ngân sách nhà nước đóng)",
        executing_text="Bảo hiểm xã hội cấp huyện / Bảo hiểm xã hội khu vực",
        applicants="Trẻ em dưới 6 tuổi (cha, mẹ hoặc người giám hộ thực hiện)",
    ),
    Spec(
        "1.001731",
        "Hỗ trợ chi phí mai táng",
        BTXH,
        COMMUNE,
        3,
        (D, ONL),
        PARTIAL,
        (
            Paper(
                "Tờ khai đề nghị hỗ trợ chi phí mai táng (Mẫu số 04)",
                form="Tờ khai đề nghị hỗ trợ chi phí mai táng",
            ),
            Paper("Giấy báo tử hoặc trích lục khai tử", originals=0, copies=1, code="TRICH_LUC_KHAI_TU"),
        ),
        (
            (
                "20/2021/NĐ-CP",
                "Nghị định quy định chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội",
            ),
            ND_63,
        ),
        "Quyết định hỗ trợ chi phí mai táng",
        fee_note="Không thu phí",
        applicants="Cơ quan, tổ chức, gia đình, cá nhân tổ chức mai táng",
    ),
    Spec(
        "1.005097",
        "Chuyển trường đối với học sinh trung học cơ sở",
        GD,
        COMMUNE,
        3,
        (D, ONL),
        FULL,
        (
            Paper("Đơn xin chuyển trường do cha mẹ hoặc người giám hộ ký", form="Đơn xin chuyển trường"),
            Paper("Học bạ", code="HOC_BA"),
        ),
        (("17/2025/TT-BGDĐT", "Thông tư ban hành quy định chuyển trường (mức trình diễn)"),),
        "Quyết định chuyển trường",
        fee_note="Không thu phí",
        executing_text="Ủy ban nhân dân cấp xã, trường trung học cơ sở",
        applicants="Học sinh trung học cơ sở (cha mẹ, người giám hộ)",
    ),
    # --- Province level ----------------------------------------------------------------------------------
    Spec(
        "2.001417",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
        LLTP,
        PROVINCE,
        10,
        (D, ONL, P),
        FULL,
        (
            Paper(
                "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)",
                form="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            ),
        ),
        (("28/2009/QH12", "Luật Lý lịch tư pháp"), TT_281),
        "Phiếu lý lịch tư pháp số 1 hoặc số 2",
        fee=200000,
        fee_note="200.000 đồng/lần; sinh viên, người có công 100.000 đồng; từ phiếu thứ ba 5.000 đồng",
        executing_text="Sở Tư pháp",
        department="stp",
    ),
    Spec(
        "1.003918",
        "Công nhận ban vận động thành lập hội",
        ("HOI", "Tổ chức phi chính phủ"),
        PROVINCE,
        30,
        (D, ONL, P),
        PARTIAL,
        (
            Paper(
                "Đơn đề nghị công nhận ban vận động thành lập hội", form="Đơn đề nghị công nhận ban vận động"
            ),
            Paper("Danh sách và sơ yếu lý lịch của người dự kiến là thành viên ban vận động"),
        ),
        (("126/2024/NĐ-CP", "Nghị định quy định về tổ chức, hoạt động và quản lý hội"),),
        "Quyết định công nhận ban vận động thành lập hội",
        fee_note="Không thu phí",
        executing_text="Sở Nội vụ",
        department="snv",
        applicants="Công dân, tổ chức Việt Nam",
    ),
    Spec(
        "1.002192",
        "Cấp giấy phép hành nghề khám bệnh, chữa bệnh (cấp mới)",
        KCB,
        PROVINCE,
        20,
        (D, ONL, P),
        PARTIAL,
        (
            Paper("Đơn đề nghị cấp giấy phép hành nghề", form="Đơn đề nghị cấp giấy phép hành nghề"),
            Paper("Văn bằng chuyên môn", originals=0, copies=1),
            Paper("Giấy chứng nhận đủ sức khỏe để hành nghề"),
        ),
        (
            ("15/2023/QH15", "Luật Khám bệnh, chữa bệnh"),
            ("96/2023/NĐ-CP", "Nghị định quy định chi tiết một số điều của Luật Khám bệnh, chữa bệnh"),
        ),
        "Giấy phép hành nghề khám bệnh, chữa bệnh",
        fee=360000,
        fee_note="Phí thẩm định theo thông tư của Bộ Tài chính (mức trình diễn)",
        executing_text="Sở Y tế",
        department="syt",
        applicants="Người hành nghề khám bệnh, chữa bệnh",
    ),
    Spec(
        "1.001055",
        "Thủ tục thông báo tổ chức lễ hội tín ngưỡng",
        TG,
        COMMUNE,
        5,
        (D, ONL, P),
        FULL,
        (Paper("Văn bản thông báo tổ chức lễ hội", form="Văn bản thông báo tổ chức lễ hội"),),
        (("02/2016/QH14", "Luật Tín ngưỡng, tôn giáo"),),
        "Văn bản trả lời (khi có yêu cầu)",
        fee_note="Không thu phí",
        applicants="Người đại diện cơ sở tín ngưỡng, ban quản lý",
    ),
)

GROUPS = (
    (
        "LT-KS-TT-BHYT",
        "Liên thông đăng ký khai sinh – đăng ký thường trú – cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        ("1.001193", "1.004222", "1.000026"),
    ),
    (
        "LT-KT-XTT-MT",
        "Liên thông đăng ký khai tử – xóa đăng ký thường trú – hỗ trợ chi phí mai táng",
        ("1.000656", "1.004206", "1.001731"),
    ),
)
GROUP_LEGAL_BASIS = "Nghị định 63/2024/NĐ-CP ngày 10/6/2024"


@dataclass
class Result:
    created: list[str] = field(default_factory=list)
    existing: int = 0
    groups_created: int = 0
    forms: int = 0


def split_days(total: Decimal) -> list[Decimal]:
    """(desk, specialist, leader, return) shares of the legal time: the specialist gets the rest."""
    tenth = Decimal("0.1")
    desk, leader, back = Decimal("0.5"), Decimal("0.5"), Decimal(0)
    if total <= Decimal(1):
        desk = leader = (total * Decimal("0.2")).quantize(tenth)
    elif total >= 5:
        leader, back = Decimal(1), Decimal("0.5")
    return [desk, total - desk - leader - back, leader, back]


def _steps(spec: Spec, days: Decimal, departments: dict[str, Agency], centre: Agency | None) -> list[Any]:
    desk, work, leader, back = split_days(days)
    if spec.level == COMMUNE:
        specialist = "Công chức chuyên môn thẩm định, xử lý hồ sơ, trình ký"
        approver = "Lãnh đạo Ủy ban nhân dân cấp xã ký, phê duyệt kết quả"
        return [
            services.StepSpec("Tiếp nhận, kiểm tra hồ sơ tại Bộ phận Một cửa", Role.ONE_STOP_OFFICER, desk),
            services.StepSpec(specialist, Role.SPECIALIST, work),
            services.StepSpec(approver, Role.LEADER, leader),
            services.StepSpec("Trả kết quả tại Bộ phận Một cửa", Role.ONE_STOP_OFFICER, back),
        ]
    department = departments[spec.department]
    return [
        services.StepSpec(
            "Tiếp nhận, kiểm tra hồ sơ tại Trung tâm Phục vụ hành chính công",
            Role.ONE_STOP_OFFICER,
            desk,
            centre,
        ),
        services.StepSpec(
            f"Chuyên viên {department.name} thẩm định, trình ký", Role.SPECIALIST, work, department
        ),
        services.StepSpec(
            f"Lãnh đạo {department.name} phê duyệt, ký kết quả", Role.LEADER, leader, department
        ),
        services.StepSpec(
            "Trả kết quả tại Trung tâm Phục vụ hành chính công", Role.ONE_STOP_OFFICER, back, centre
        ),
    ]


def blank_form(title: str, province_name: str) -> bytes:
    """A blank declaration form (DOCX) laid out like the official ones: national motto, title, fields."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    for text, bold in (("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True), ("Độc lập - Tự do - Hạnh phúc", True)):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = bold
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(title.upper()).bold = True
    doc.add_paragraph(f"Kính gửi: {province_name}")
    for label in (
        "Họ, chữ đệm, tên người yêu cầu",
        "Số định danh cá nhân",
        "Nơi cư trú",
        "Số điện thoại",
        "Nội dung yêu cầu",
    ):
        doc.add_paragraph(f"{label}: " + "." * 60)
    doc.add_paragraph(
        "Tôi cam đoan nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật."
    )
    signature = doc.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.add_run(
        "Làm tại ........, ngày ..... tháng ..... năm ........\nNgười yêu cầu\n(Ký, ghi rõ họ, chữ đệm, tên)"
    )
    doc.add_paragraph("(Mẫu trình diễn của egov — demo form)")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _demo_departments(province: Agency) -> dict[str, Agency]:
    code = province.admin_unit_code or (province.external_key or "").rsplit(":", 1)[-1]
    found = {}
    for agency in Agency.objects.current().filter(external_key__startswith=f"demo:{code}:"):
        found[(agency.external_key or "").rsplit(":", 1)[-1]] = agency
    return found


def _demo_province() -> Agency | None:
    from egov.directory.importers import KEY_PREFIX, MODEL_2025, PROVINCE

    code = settings.EGOV_DEMO_PROVINCE_CODE.strip().zfill(2)
    return Agency.objects.filter(external_key=f"{KEY_PREFIX[MODEL_2025]}:{PROVINCE}:{code}").first()


def load(stdout: Output | None = None, *, province: Agency | None = None) -> Result:
    """Load the demo catalogue for the demo province (see the module docstring). Safe to run again."""

    def write(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")

    result = Result()
    if settings.PRODUCTION:
        raise RuntimeError("refusing demo procedures in production (EGOV_PRODUCTION=1)")
    province = province or _demo_province()
    if province is None:
        write("Chưa có tỉnh trình diễn: chạy 'egov demo' trước / load the demo province first.")
        return result
    departments = _demo_departments(province)
    centre = departments.get("ttpvhcc")
    communes = list(Agency.objects.current().filter(parent=province, kind=Agency.Kind.COMMUNE).order_by("pk"))
    forms: dict[str, bytes] = {}
    with context.bind(source="cli"), transaction.atomic():
        for spec in SPECS:
            if Procedure.objects.filter(code=spec.code).exists():
                result.existing += 1
                continue
            if spec.level == COMMUNE:
                links = [
                    services.AgencySpec(c, part)
                    for c in communes
                    for part in (Part.RECEIVING, Part.EXECUTING)
                ]
            else:
                department = departments.get(spec.department)
                if department is None or centre is None:
                    continue  # the directory part of the demo did not create the department
                links = [
                    services.AgencySpec(centre, Part.RECEIVING),
                    services.AgencySpec(department, Part.EXECUTING),
                ]
            if not links:
                continue
            days = Decimal(str(spec.days))
            methods = [
                services.MethodSpec(
                    channel,
                    days,
                    spec.time_note,
                    spec.fee_online if (channel == ONL and spec.fee_online is not None) else spec.fee,
                    spec.fee_note,
                )
                for channel in spec.channels
            ]
            papers = []
            for paper in spec.papers:
                upload: Any = services.KEEP
                if paper.form:
                    if paper.form not in forms:
                        forms[paper.form] = blank_form(paper.form, province.name)
                    upload = ContentFile(forms[paper.form], name=f"{paper.form}.docx")
                    result.forms += 1
                papers.append(
                    services.PaperSpec(
                        paper.name,
                        paper.originals,
                        paper.copies,
                        paper.required,
                        paper.case,
                        paper.code,
                        paper.form,
                        upload,
                    )
                )
            field_obj = services.ensure_field(actor=None, name=spec.field[1], code=spec.field[0])
            services.create_procedure(
                actor=None,
                code=spec.code,
                name=spec.name,
                field=field_obj,
                levels=[spec.level],
                executing_agency_text=spec.executing_text,
                legal_bases=[{"number": n, "title": t} for n, t in spec.legal],
                online_level=spec.online,
                result_type=spec.result,
                applicant_kinds=spec.applicants,
                methods=methods,
                papers=papers,
                steps=_steps(spec, days, departments, centre),
                agencies=links,
            )
            result.created.append(spec.code)
        for code, name, members in GROUPS:
            if ProcedureGroup.objects.filter(code=code).exists():
                continue
            procedures = list(Procedure.objects.filter(code__in=members, is_active=True))
            if len(procedures) != len(members):
                continue
            ordered = sorted(procedures, key=lambda p: members.index(p.code))
            services.create_group(
                actor=None, code=code, name=name, procedures=ordered, legal_basis=GROUP_LEGAL_BASIS
            )
            result.groups_created += 1
    if result.created or result.groups_created:
        write(
            f"Thủ tục hành chính trình diễn / demo procedures: {len(result.created)} thủ tục / procedures, "
            f"{result.groups_created} nhóm liên thông / inter-linked groups, {result.forms} mẫu đơn / forms."
        )
    else:
        write("Danh mục thủ tục trình diễn đã có sẵn / demo procedures already present.")
    return result
