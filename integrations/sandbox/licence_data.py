"""The demo licences the e-licence library simulator holds, for the demo people and companies.

Every holder is a demo citizen or enterprise of :mod:`integrations.sandbox.demo_data`,
and what a licence says agrees with them (names, ID numbers, sex and birth date read
from the ID number, companies' representatives and towns). Addresses are invented
addresses in Nanhai district; bank accounts pass the Luhn check, and the one other
person named (a spouse) has a valid Nanhai ID number. ``tests/integrations/
test_licence_library_sandbox.py`` checks all of that.

Three licences are there to show the unhappy paths:

- :data:`EXPIRING_CODE`, 黄志强's driver licence, runs out :data:`EXPIRING_IN_DAYS`
  days after the simulator starts;
- :data:`REVOKED_CODE`, the business licence of the revoked 大沥 company, is revoked;
- :data:`TAMPERED_CODE`, 何俊杰's driver licence, had its vehicle class changed from
  C1 to A1 after its issuer signed it: the library hands it out with a signature that
  no longer matches, and a verifying client refuses it (``bad_signature``).

Like the rest of the demo data, all of it is invented and listed openly by ``/demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Mapping

from integrations.licence_library import CITIZEN, ENTERPRISE, make_licence_code
from integrations.sandbox.demo_data import CITIZENS_BY_ID_NUMBER, ENTERPRISES_BY_USCC


@dataclass(frozen=True)
class DemoIssuer:
    code: str  # issuer code, see integrations.licence_library.parse_licence_code
    name: str


GDGA = DemoIssuer("440000GA0001", "广东省公安厅")
GDRS = DemoIssuer("440000RS0001", "广东省人力资源和社会保障厅")
GDJY = DemoIssuer("440000JY0001", "广东省教育厅")
NHMZ = DemoIssuer("440605MZ0001", "佛山市南海区民政局")
NHSJ = DemoIssuer("440605SJ0001", "佛山市南海区市场监督管理局")
NHZJ = DemoIssuer("440605ZJ0001", "佛山市南海区住房城乡建设和水利局")

ISSUERS: tuple[DemoIssuer, ...] = (GDGA, GDRS, GDJY, NHMZ, NHSJ, NHZJ)


@dataclass(frozen=True)
class DemoLicence:
    issuer: DemoIssuer
    type_code: str
    issue_year: int  # the year in the licence code
    serial: int  # the serial in the licence code
    holder_kind: str
    holder_id: str
    fields: Mapping[str, str]
    valid_from: str | None  # None only with expires_in_days
    valid_until: str | None  # None: 长期 (no expiry)
    status: str = "valid"
    # Set on the expiring licence: its validity is computed when the simulator starts,
    # see validity().
    expires_in_days: int | None = None
    validity_years: int | None = None
    # Field values changed after signing: the tampered entry.
    tampered_fields: Mapping[str, str] | None = None
    note: str | None = None

    @property
    def code(self) -> str:
        return make_licence_code(self.issuer.code, self.type_code, self.issue_year, self.serial)

    def validity(self, today: date) -> tuple[str, str | None]:
        """(valid_from, valid_until) as ISO dates, for a simulator started on ``today``."""
        if self.expires_in_days is None:
            assert self.valid_from is not None
            return self.valid_from, self.valid_until
        until = today + timedelta(days=self.expires_in_days)
        years = self.validity_years or 1
        try:
            since = until.replace(year=until.year - years)
        except ValueError:  # 29 February
            since = until.replace(year=until.year - years, day=28)
        return since.isoformat(), until.isoformat()

    @property
    def holder_name(self) -> str:
        if self.holder_kind == CITIZEN:
            return CITIZENS_BY_ID_NUMBER[self.holder_id].name
        return ENTERPRISES_BY_USCC[self.holder_id].name


def _f(**values: str) -> Mapping[str, str]:
    return MappingProxyType(values)


# -- the people's addresses and police stations --------------------------------------

PSB = "佛山市公安局南海分局"
TRAFFIC_POLICE = "广东省佛山市公安局交通警察支队"

CHEN = "440622198503121234"  # 陈家豪
LIANG = "440622199007210021"  # 梁雅婷
HUANG = "442722197811053010"  # 黄志强
LI = "44068219950214024X"  # 李嘉欣
HE = "440622198809302513"  # 何俊杰
OU = "442722196912080865"  # 区美玲

ADDRESSES: Mapping[str, str] = MappingProxyType({
    CHEN: "广东省佛山市南海区桂城街道南海大道北68号怡翠花园3座1502房",
    LIANG: "广东省佛山市南海区丹灶镇金沙大道东25号金沙名苑8座602房",
    HUANG: "广东省佛山市南海区狮山镇狮城中路13号松岗花园5座301房",
    LI: "广东省佛山市南海区大沥镇黄岐广佛路162号嘉洲广场2座1108房",
    HE: "广东省佛山市南海区大沥镇盐步穗盐路38号颐景园11座702房",
    OU: "广东省佛山市南海区九江镇儒林东路56号",
})
POLICE_STATIONS: Mapping[str, str] = MappingProxyType({
    CHEN: PSB + "桂城派出所",
    LIANG: PSB + "丹灶派出所",
    HUANG: PSB + "狮山派出所",
    LI: PSB + "黄岐派出所",
    HE: PSB + "盐步派出所",
    OU: PSB + "九江派出所",
})

SPOUSE_NAME = "罗晓琳"
SPOUSE_ID_NUMBER = "440682199204183321"


def _sex(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def _birth(id_number: str) -> str:
    return f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"


def _id_card(holder: str, serial: int, issue_year: int, valid_from: str,
             valid_until: str | None) -> DemoLicence:
    return DemoLicence(
        GDGA, "resident_id_card", issue_year, serial, CITIZEN, holder,
        _f(sex=_sex(holder), ethnicity="汉", birth_date=_birth(holder), address=ADDRESSES[holder],
           id_number=holder, issuing_authority=PSB),
        valid_from, valid_until,
    )


def _driver_licence(holder: str, serial: int, *, first_issue: str, file_number: str,
                    valid_from: str | None, valid_until: str | None, vehicle_class: str = "C1",
                    **extra: object) -> DemoLicence:
    return DemoLicence(
        GDGA, "driver_licence", 2019, serial, CITIZEN, holder,
        _f(licence_number=holder, sex=_sex(holder), nationality="中国", address=ADDRESSES[holder],
           birth_date=_birth(holder), first_issue_date=first_issue, vehicle_class=vehicle_class,
           file_number=file_number, issuing_authority=TRAFFIC_POLICE),
        valid_from, valid_until, **extra,  # type: ignore[arg-type]
    )


def _household(holder: str, serial: int, *, household_number: str, head: str,
               relationship: str, valid_from: str) -> DemoLicence:
    return DemoLicence(
        GDGA, "household_register", 2020, serial, CITIZEN, holder,
        _f(household_number=household_number, household_type="家庭户", head_of_household=head,
           relationship_to_head=relationship, address=ADDRESSES[holder], native_place="广东南海",
           birth_date=_birth(holder), id_number=holder,
           registration_authority=POLICE_STATIONS[holder]),
        valid_from, None,
    )


def _social_security(holder: str, serial: int, *, card_number: str, bank: str,
                     bank_account: str, valid_from: str, valid_until: str) -> DemoLicence:
    return DemoLicence(
        GDRS, "social_security_card", 2023, serial, CITIZEN, holder,
        _f(social_security_number=holder, card_number=card_number, card_generation="第三代社会保障卡",
           bank=bank, bank_account=bank_account, issuing_region="广东省佛山市"),
        valid_from, valid_until,
    )


EXPIRING_IN_DAYS = 21

_HE_DRIVER_LICENCE = _driver_licence(
    HE, 10003, first_issue="2012-05-20", file_number="440600873391",
    valid_from="2018-05-20", valid_until="2028-05-20",
    tampered_fields=_f(vehicle_class="A1"),
    note="tampered: vehicle_class changed from C1 to A1 after signing (bad_signature)",
)
_HUANG_DRIVER_LICENCE = _driver_licence(
    HUANG, 10002, first_issue="2010-12-06", file_number="440600562817",
    valid_from=None, valid_until=None, expires_in_days=EXPIRING_IN_DAYS, validity_years=10,
    note=f"expires {EXPIRING_IN_DAYS} days after the sandbox started",
)

CITIZEN_LICENCES: tuple[DemoLicence, ...] = (
    # 陈家豪: ID card, driver licence, household register (head), social security card,
    # marriage certificate.
    _id_card(CHEN, 1001, 2019, "2015-06-18", "2035-06-18"),
    _driver_licence(CHEN, 10001, first_issue="2008-07-15", file_number="440600318824",
                    valid_from="2024-07-15", valid_until=None),
    _household(CHEN, 20001, household_number="400318526", head="陈家豪", relationship="户主",
               valid_from="2017-03-02"),
    _social_security(CHEN, 30001, card_number="M40605127", bank="中国工商银行",
                     bank_account="6212262002012345678", valid_from="2023-04-11",
                     valid_until="2033-04-11"),
    DemoLicence(
        NHMZ, "marriage_certificate", 2020, 1201, CITIZEN, CHEN,
        _f(certificate_number="J440605-2016-004512", registration_date="2016-10-08",
           id_number=CHEN, spouse_name=SPOUSE_NAME, spouse_id_number=SPOUSE_ID_NUMBER,
           registration_authority="佛山市南海区民政局"),
        "2016-10-08", None,
    ),
    # 梁雅婷: ID card, household register, social security card.
    _id_card(LIANG, 1002, 2019, "2016-08-09", "2036-08-09"),
    _household(LIANG, 20002, household_number="400427913", head="梁志华", relationship="女",
               valid_from="2016-08-01"),
    _social_security(LIANG, 30002, card_number="M40605388", bank="中国建设银行",
                     bank_account="6217002870001234564", valid_from="2023-06-20",
                     valid_until="2033-06-20"),
    # 黄志强: ID card, driver licence (expiring), social security card.
    _id_card(HUANG, 1003, 2019, "2018-04-20", "2038-04-20"),
    _HUANG_DRIVER_LICENCE,
    _social_security(HUANG, 30003, card_number="M40605516", bank="中国农业银行",
                     bank_account="6228486520003467819", valid_from="2023-09-05",
                     valid_until="2033-09-05"),
    # 李嘉欣: ID card, degree certificate, social security card.
    _id_card(LI, 1004, 2019, "2019-02-25", "2029-02-25"),
    DemoLicence(
        GDJY, "degree_certificate", 2021, 4101, CITIZEN, LI,
        _f(degree="工学学士学位", major="软件工程", university="华南理工大学", conferred_on="2017-06-30",
           certificate_number="1056142017001234", birth_date=_birth(LI), id_number=LI),
        "2017-06-30", None,
    ),
    _social_security(LI, 30004, card_number="M40605742", bank="招商银行",
                     bank_account="6214832000056789022", valid_from="2024-02-27",
                     valid_until="2034-02-27"),
    # 何俊杰: ID card, driver licence (tampered), household register.
    _id_card(HE, 1005, 2019, "2014-10-15", "2034-10-15"),
    _HE_DRIVER_LICENCE,
    _household(HE, 20003, household_number="400562204", head="何伟明", relationship="子",
               valid_from="2015-01-19"),
    # 区美玲: ID card (长期, issued after 46), household register (head), social security card.
    _id_card(OU, 1006, 2019, "2016-12-20", None),
    _household(OU, 20004, household_number="400731085", head="区美玲", relationship="户主",
               valid_from="2012-06-08"),
    _social_security(OU, 30005, card_number="M40605903", bank="广东南海农村商业银行",
                     bank_account="6230580000123456787", valid_from="2023-11-16",
                     valid_until="2033-11-16"),
)

# -- enterprises ----------------------------------------------------------------------

GUICHENG = "91440605MA4UJ2K83Y"
SHISHAN = "914406057321746127"
DALI = "91440605MA51QP3R7B"
JIUJIANG = "93440605MA4W6E1N90"
DANZAO = "91440605MA53C7HT9N"

LICENSED_BY = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

ENTERPRISE_ADDRESSES: Mapping[str, str] = MappingProxyType({
    GUICHENG: "佛山市南海区桂城街道桂澜北路6号千灯湖创投小镇2座1203室",
    SHISHAN: "佛山市南海区狮山镇松岗松夏工业园工业大道28号",
    DALI: "佛山市南海区大沥镇沥东工业区三路9号",
    JIUJIANG: "佛山市南海区九江镇沙口村鱼花养殖基地",
    DANZAO: "佛山市南海区丹灶镇国家生态工业示范园区银河路3号",
})


def _business_licence(uscc: str, serial: int, *, entity_type: str, capital: str,
                      scope: str, valid_from: str, status: str = "valid",
                      note: str | None = None) -> DemoLicence:
    enterprise = ENTERPRISES_BY_USCC[uscc]
    return DemoLicence(
        NHSJ, "business_licence", int(valid_from[:4]), serial, ENTERPRISE, uscc,
        _f(uscc=uscc, name=enterprise.name, entity_type=entity_type,
           legal_representative=enterprise.legal_representative.name, registered_capital=capital,
           established_on=enterprise.registered_on, business_term="长期",
           address=ENTERPRISE_ADDRESSES[uscc], business_scope=scope + LICENSED_BY,
           registration_authority=NHSJ.name),
        valid_from, None, status=status, note=note,
    )


ENTERPRISE_LICENCES: tuple[DemoLicence, ...] = (
    _business_licence(
        GUICHENG, 50001, entity_type="有限责任公司（自然人投资或控股）", capital="人民币伍佰万元",
        scope="软件开发；信息技术咨询服务；信息系统集成服务；人工智能应用软件开发。",
        valid_from="2023-03-14"),
    _business_licence(
        SHISHAN, 50002, entity_type="有限责任公司（自然人投资或控股）", capital="人民币叁仟万元",
        scope="金属结构制造；金属制品研发；金属表面处理及热处理加工；货物进出口。",
        valid_from="2021-08-26"),
    DemoLicence(
        NHSJ, "food_business_permit", 2022, 60001, ENTERPRISE, SHISHAN,
        _f(permit_number="JY34406050031847", operator=ENTERPRISES_BY_USCC[SHISHAN].name, uscc=SHISHAN,
           legal_representative="黄志强", address=ENTERPRISE_ADDRESSES[SHISHAN],
           business_premises=ENTERPRISE_ADDRESSES[SHISHAN] + "综合楼首层职工食堂",
           business_type="单位食堂（职工食堂）", business_items="热食类食品制售",
           daily_supervisor="佛山市南海区市场监督管理局狮山市场监督管理所",
           complaint_hotline="12315", issuing_authority=NHSJ.name),
        "2022-05-10", "2027-05-09",
    ),
    _business_licence(
        DALI, 50003, entity_type="有限责任公司（自然人独资）", capital="人民币壹佰万元",
        scope="金属表面处理及热处理加工；有色金属铸造；五金产品批发。",
        valid_from="2018-03-27", status="revoked",
        note="revoked, as the company is (吊销)"),
    _business_licence(
        JIUJIANG, 50004, entity_type="农民专业合作社", capital="人民币伍拾万元",
        scope="组织收购、销售成员及同类生产经营者的产品；开展成员所需的鱼苗鱼种繁育、技术培训及信息服务。",
        valid_from="2017-08-09"),
    _business_licence(
        DANZAO, 50005, entity_type="有限责任公司（自然人投资或控股）", capital="人民币壹亿元",
        scope="家用电器研发；家用电器制造；家用电器销售；智能家庭消费设备制造；货物进出口；技术进出口。",
        valid_from="2019-04-16"),
    DemoLicence(
        NHZJ, "construction_permit", 2024, 70001, ENTERPRISE, DANZAO,
        _f(permit_number="440605202405160101", construction_unit=ENTERPRISES_BY_USCC[DANZAO].name,
           project_name="佛山市南海区丹灶智能家电制造有限公司二期智能制造厂房项目",
           construction_address=ENTERPRISE_ADDRESSES[DANZAO], scale="总建筑面积35620.5平方米",
           contract_price="8650万元", designer="佛山市南海建筑设计院有限公司",
           contractor="广东南海建工集团有限公司", supervisor="佛山市南海区建设监理有限公司",
           contract_period="540日历天", issuing_authority=NHZJ.name),
        "2024-05-16", None,
    ),
)

LICENCES: tuple[DemoLicence, ...] = CITIZEN_LICENCES + ENTERPRISE_LICENCES

TAMPERED_CODE = _HE_DRIVER_LICENCE.code
EXPIRING_CODE = _HUANG_DRIVER_LICENCE.code
REVOKED_CODE = next(licence.code for licence in LICENCES if licence.status == "revoked")
