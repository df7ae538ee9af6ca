"""The people and companies the sandbox upstreams know, shared by their simulators.

Every resident identity number carries the Nanhai address code of its holder's birth
(442722 Nanhai county before 1983, 440622 Nanhai county 1983-1992, 440682 Nanhai city
1992-2002, 440605 Nanhai district since: a person keeps the code of their birth for life)
and a correct GB 11643 check character, so python-stdnum accepts it; every unified social
credit code carries region 440605 in
positions 3-8, a correct GB 11714 organisation-code check in position 17 and a correct
GB 32100 check character. Each enterprise's legal representative is a demo citizen.
``tests/integrations/test_demo_data.py`` checks all of that.

The data are invented. They are listed openly by ``GET /demo`` so testers can log in
as these citizens and act for these companies; never use them outside the sandbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DemoCitizen:
    name: str
    id_number: str
    phone: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    name: str
    legal_representative_id_number: str
    status: str  # "active" | "revoked" | "cancelled"
    registered_on: str  # ISO date
    industry_code: str  # GB/T 4754-2017 class
    industry: str
    town: str  # a Nanhai town or street
    size: str  # "micro" | "small" | "medium" | "large"

    @property
    def legal_representative(self) -> DemoCitizen:
        return CITIZENS_BY_ID_NUMBER[self.legal_representative_id_number]

    def as_record(self) -> dict[str, Any]:
        """The enterprise as Yueshangtong answers it."""
        record = asdict(self)
        record["legal_representative_name"] = self.legal_representative.name
        return record


CITIZENS: tuple[DemoCitizen, ...] = (
    DemoCitizen("陈家豪", "440622198503121234", "13800138001"),
    DemoCitizen("梁雅婷", "440622199007210021", "13800138002"),
    DemoCitizen("黄志强", "442722197811053010", "13800138003"),
    DemoCitizen("李嘉欣", "44068219950214024X", "13800138004"),
    DemoCitizen("何俊杰", "440622198809302513", "13800138005"),
    DemoCitizen("区美玲", "442722196912080865", "13800138006"),
)

CITIZENS_BY_ID_NUMBER: dict[str, DemoCitizen] = {c.id_number: c for c in CITIZENS}

ENTERPRISES: tuple[DemoEnterprise, ...] = (
    DemoEnterprise(
        uscc="91440605MA4UJ2K83Y",
        name="佛山市南海区桂城智造科技有限公司",
        legal_representative_id_number="440622198503121234",  # 陈家豪
        status="active",
        registered_on="2016-05-18",
        industry_code="I6513",
        industry="应用软件开发",
        town="桂城街道",
        size="small",
    ),
    DemoEnterprise(
        uscc="914406057321746127",
        name="佛山市南海区狮山精工金属制品有限公司",
        legal_representative_id_number="442722197811053010",  # 黄志强
        status="active",
        registered_on="2009-11-02",
        industry_code="C3311",
        industry="金属结构制造",
        town="狮山镇",
        size="medium",
    ),
    DemoEnterprise(
        uscc="91440605MA51QP3R7B",
        name="佛山市南海区大沥铝材表面处理有限公司",
        legal_representative_id_number="440622198809302513",  # 何俊杰
        status="revoked",
        registered_on="2018-03-27",
        industry_code="C3360",
        industry="金属表面处理及热处理加工",
        town="大沥镇",
        size="micro",
    ),
    DemoEnterprise(
        uscc="93440605MA4W6E1N90",
        name="佛山市南海区九江鱼花养殖专业合作社",
        legal_representative_id_number="442722196912080865",  # 区美玲
        status="active",
        registered_on="2017-08-09",
        industry_code="A0412",
        industry="内陆养殖",
        town="九江镇",
        size="micro",
    ),
    DemoEnterprise(
        uscc="91440605MA53C7HT9N",
        name="佛山市南海区丹灶智能家电制造有限公司",
        legal_representative_id_number="440622199007210021",  # 梁雅婷
        status="active",
        registered_on="2019-04-16",
        industry_code="C3854",
        industry="家用厨房电器具制造",
        town="丹灶镇",
        size="large",
    ),
)

ENTERPRISES_BY_USCC: dict[str, DemoEnterprise] = {e.uscc: e for e in ENTERPRISES}


# -- utilities (issue 8) ------------------------------------------------------------------
# Lingnan Pass (岭南通) bus cards: 16 digits, the last a Luhn check digit (the rule
# integrations/lingnan_pass.py implements). Gas accounts of the Nanhai gas utility with
# their unpaid bills (amounts in integer fen).


@dataclass(frozen=True)
class DemoBusCard:
    card_no: str
    status: str  # "active" | "lost"
    balance_fen: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DemoGasBill:
    bill_id: str
    period: str  # YYYY-MM
    amount_fen: int
    due_date: str


@dataclass(frozen=True)
class DemoGasAccount:
    account_no: str
    holder_name: str
    address: str
    bills: tuple[DemoGasBill, ...]

    def as_json(self) -> dict[str, Any]:
        return {"account_no": self.account_no, "holder_name": self.holder_name, "address": self.address,
                "bills": [asdict(bill) for bill in self.bills]}


BUS_CARDS: tuple[DemoBusCard, ...] = (
    DemoBusCard("3104057100012342", "active", 1250),
    DemoBusCard("3104057100024685", "active", 0),
    DemoBusCard("3104057100035798", "active", 99000),
    DemoBusCard("3104057100099992", "lost", 500),
)

GAS_ACCOUNTS: tuple[DemoGasAccount, ...] = (
    DemoGasAccount("NHG2001001", "陈家豪", "桂城街道南海大道北 18 号 1203", (
        DemoGasBill("GB202609001", "2026-09", 8650, "2026-10-20"),
        DemoGasBill("GB202610001", "2026-10", 9320, "2026-11-20"),
    )),
    DemoGasAccount("NHG2001002", "李嘉欣", "大沥镇广佛路 233 号 502", (
        DemoGasBill("GB202610002", "2026-10", 4210, "2026-11-20"),
    )),
    DemoGasAccount("NHG2001003", "区美玲", "九江镇沙口路 7 号", ()),
)
