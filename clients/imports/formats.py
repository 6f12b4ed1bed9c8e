"""The three record kinds of the back-office format: columns, Chinese aliases, enumerations."""

from dataclasses import dataclass

from futures_crm.roles import API_ONLY_ROLES, Role

from ..choices import Channel, ClientType, Exchange, Gender, HedgeFlag, IdType, InvestorClass, RiskLevel

# Who may import: settlement data is firm-wide, so a branch manager (who sees one branch) may not
# overwrite other branches' accounts; the back-office system uses the API only.
IMPORT_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BACK_OFFICE}
IMPORT_PAGE_ROLES = IMPORT_ROLES - {Role.BACK_OFFICE}
# Who acknowledges settlement alerts (of the clients they see): the people who work the pages; the
# back-office system only raises alerts.
ALERT_ACKNOWLEDGE_ROLES = set(Role) - API_ONLY_ROLES

TEXT, MONEY, DATE, LOTS, ENUM = "text", "money", "date", "lots", "enum"


def _enum(choices, aliases: dict[str, str]) -> dict[str, str]:
    """Accepted spelling (case-insensitive English code or Chinese name) → code."""
    accepted = {value.lower(): value for value in choices.values}
    accepted.update({alias.lower(): code for alias, code in aliases.items()})
    return accepted


CLIENT_TYPES = _enum(ClientType, {"自然人": "individual", "个人": "individual", "机构": "institution",
                                  "一般机构": "institution", "现货企业": "spot_enterprise",
                                  "金融机构": "financial_institution"})
ID_TYPES = _enum(IdType, {"居民身份证": "id_card", "身份证": "id_card", "护照": "passport",
                          "港澳居民来往内地通行证": "hk_macao_permit", "台湾居民来往大陆通行证": "taiwan_permit",
                          "外国人永久居留身份证": "foreign_permanent_resident", "营业执照": "business_license",
                          "统一社会信用代码": "business_license", "其他": "other"})
GENDERS = _enum(Gender, {"男": "male", "女": "female"})
INVESTOR_CLASSES = _enum(InvestorClass, {"普通投资者": "ordinary", "普通": "ordinary",
                                         "专业投资者": "professional", "专业": "professional"})
RISK_LEVELS = _enum(RiskLevel, {})
CHANNELS = _enum(Channel, {"员工开发": "staff", "营销部": "marketing", "客户推荐": "referral", "研究": "research",
                           "居间人": "intermediary", "网上开户": "online", "自主开户": "online"})
EXCHANGES = _enum(Exchange, {"上期所": "SHFE", "上海期货交易所": "SHFE", "大商所": "DCE", "大连商品交易所": "DCE",
                             "郑商所": "CZCE", "郑州商品交易所": "CZCE", "中金所": "CFFEX",
                             "中国金融期货交易所": "CFFEX", "上期能源": "INE", "上海国际能源交易中心": "INE",
                             "广期所": "GFEX", "广州期货交易所": "GFEX"})
HEDGE_FLAGS = _enum(HedgeFlag, {"投机": "speculation", "套利": "arbitrage", "套保": "hedge", "套期保值": "hedge"})


@dataclass(frozen=True)
class Column:
    name: str
    alias: str
    type: str = TEXT
    required: bool = True  # the header must have it
    choices: dict | None = None
    max_length: int = 128
    non_negative: bool = False


@dataclass(frozen=True)
class Format:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _money(name, alias, non_negative=False):
    return Column(name, alias, MONEY, non_negative=non_negative)


CLIENTS = Format("clients", (
    Column("account_id", "资金账号", max_length=32),
    Column("name", "客户名称"),
    Column("client_type", "客户类型", ENUM, choices=CLIENT_TYPES),
    Column("id_type", "证件类型", ENUM, choices=ID_TYPES),
    Column("id_number", "证件号码", max_length=64),
    Column("birthday", "出生日期", DATE, required=False),
    Column("gender", "性别", ENUM, required=False, choices=GENDERS),
    Column("phone", "手机", required=False, max_length=32),
    Column("email", "邮箱", required=False, max_length=254),
    Column("province", "省份", required=False, max_length=32),
    Column("city", "城市", required=False, max_length=64),
    Column("branch_code", "营业部代码", max_length=32),
    Column("open_date", "开户日期", DATE),
    Column("close_date", "销户日期", DATE, required=False),
    Column("investor_class", "投资者类别", ENUM, required=False, choices=INVESTOR_CLASSES),
    Column("risk_level", "风险等级", ENUM, required=False, choices=RISK_LEVELS),
    Column("channel", "开发渠道", ENUM, required=False, choices=CHANNELS),
    Column("intermediary_code", "居间人编号", required=False, max_length=32),
    Column("manager_code", "客户经理编号", required=False, max_length=32),
    Column("referrer_account_id", "推荐人资金账号", required=False, max_length=32),
), key=("account_id",))

ACCOUNTS = Format("accounts", (
    Column("trade_date", "交易日", DATE),
    Column("account_id", "资金账号", max_length=32),
    _money("pre_balance", "上日结存"),
    _money("deposit", "入金", True),
    _money("withdrawal", "出金", True),
    _money("close_profit", "平仓盈亏"),
    _money("position_profit", "持仓盯市盈亏"),
    _money("commission", "手续费", True),
    _money("exchange_fee", "交易所手续费", True),
    _money("balance", "当日结存"),
    _money("equity", "客户权益"),
    _money("margin", "保证金占用", True),
    _money("available", "可用资金"),
    _money("margin_call", "追加保证金", True),
), key=("trade_date", "account_id"))

CONTRACTS = Format("contracts", (
    Column("trade_date", "交易日", DATE),
    Column("account_id", "资金账号", max_length=32),
    Column("exchange", "交易所", ENUM, choices=EXCHANGES),
    Column("instrument", "合约", max_length=32),
    Column("product", "品种", required=False, max_length=16),
    Column("hedge_flag", "投保标志", ENUM, choices=HEDGE_FLAGS),
    Column("buy_lots", "买手数", LOTS),
    Column("sell_lots", "卖手数", LOTS),
    _money("turnover", "成交额", True),
    _money("commission", "手续费", True),
    _money("exchange_fee", "交易所手续费", True),
    _money("close_profit", "平仓盈亏"),
    Column("long_position", "多头持仓", LOTS),
    Column("short_position", "空头持仓", LOTS),
    _money("margin", "保证金占用", True),
), key=("trade_date", "account_id", "instrument", "hedge_flag"))

FORMATS = {f.kind: f for f in (CLIENTS, ACCOUNTS, CONTRACTS)}
