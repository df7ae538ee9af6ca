"""The administrative service centres (行政服务中心) of Nanhai's seven towns and streets, and
their opening hours (China time). Reference data, kept in code: a new centre or a change of
hours is a reviewed change, and every process reads the same list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceCentre:
    code: str
    name: str
    town: str
    address: str
    morning: str = "09:00-12:00"
    afternoon: str = "14:00-17:30"  # 12:00-14:00 is the lunch break: no slots
    slot_minutes: int = 30


CENTRES: dict[str, ServiceCentre] = {c.code: c for c in (
    ServiceCentre("guicheng", "桂城街道行政服务中心", "桂城街道", "佛山市南海区桂城街道南海大道北63号"),
    ServiceCentre("jiujiang", "九江镇行政服务中心", "九江镇", "佛山市南海区九江镇沙口大道28号"),
    ServiceCentre("xiqiao", "西樵镇行政服务中心", "西樵镇", "佛山市南海区西樵镇樵园路12号"),
    ServiceCentre("danzao", "丹灶镇行政服务中心", "丹灶镇", "佛山市南海区丹灶镇金沙大道18号"),
    ServiceCentre("shishan", "狮山镇行政服务中心", "狮山镇", "佛山市南海区狮山镇狮山大道1号"),
    ServiceCentre("dali", "大沥镇行政服务中心", "大沥镇", "佛山市南海区大沥镇广佛路88号"),
    ServiceCentre("lishui", "里水镇行政服务中心", "里水镇", "佛山市南海区里水镇里官路26号"),
)}
