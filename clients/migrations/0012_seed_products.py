"""Seed the product table with the main listed products of the six Chinese futures exchanges.

Default risk levels follow the futures association's suitability guideline (适当性管理实施指引):
- commodity futures are R3;
- financial futures (index and treasury futures) and all options are R4: leverage on an index or a rate, and
  an option writer's loss is unbounded within the contract;
- crude oil (sc) is R4, as the guideline names it, and so is the container-freight index (ec): a cash-settled
  index with the widest price limits of any listed future;
- R5 is left for unlimited-exposure OTC products, which this table does not list by default.
Eligibility rules (准入): CFFEX financial futures and options need available funds ≥ 500,000 CNY on each of the
five trading days before opening, a knowledge test (≥ 80) and trading experience; the "special products"
(特定品种: crude oil, low-sulphur fuel oil, TSR 20 rubber, international copper, container freight, iron ore,
palm oil, PTA, rapeseed oil) need ≥ 100,000 CNY, the same test and experience; commodity options ≥ 100,000 CNY.
Compliance edits any of this on the products page; codes are as the settlement rows spell them.
"""

from decimal import Decimal

from django.db import migrations

COMMODITY, FINANCIAL, OPTION = "commodity_future", "financial_future", "option"
CFFEX_FUNDS, SPECIAL_FUNDS = Decimal("500000"), Decimal("100000")

# exchange, code, name, class, level, min funds, knowledge test, trading experience
PLAIN = {
    "SHFE": [("cu", "铜"), ("al", "铝"), ("zn", "锌"), ("pb", "铅"), ("ni", "镍"), ("sn", "锡"), ("au", "黄金"),
             ("ag", "白银"), ("rb", "螺纹钢"), ("hc", "热轧卷板"), ("ss", "不锈钢"), ("wr", "线材"), ("fu", "燃料油"),
             ("bu", "石油沥青"), ("ru", "天然橡胶"), ("sp", "纸浆"), ("ao", "氧化铝"), ("br", "丁二烯橡胶")],
    "DCE": [("a", "豆一"), ("b", "豆二"), ("m", "豆粕"), ("y", "豆油"), ("c", "玉米"), ("cs", "玉米淀粉"),
            ("jd", "鸡蛋"), ("lh", "生猪"), ("l", "聚乙烯"), ("v", "聚氯乙烯"), ("pp", "聚丙烯"), ("eg", "乙二醇"),
            ("eb", "苯乙烯"), ("pg", "液化石油气"), ("j", "焦炭"), ("jm", "焦煤")],
    "CZCE": [("SR", "白糖"), ("CF", "棉花"), ("MA", "甲醇"), ("RM", "菜籽粕"), ("FG", "玻璃"), ("SA", "纯碱"),
             ("UR", "尿素"), ("AP", "苹果"), ("CJ", "红枣"), ("PK", "花生"), ("SF", "硅铁"), ("SM", "锰硅"),
             ("SH", "烧碱"), ("PX", "对二甲苯")],
    "GFEX": [("si", "工业硅"), ("lc", "碳酸锂"), ("ps", "多晶硅")],
}
SPECIAL = [("INE", "sc", "原油", "R4"), ("INE", "lu", "低硫燃料油", "R3"), ("INE", "nr", "20号胶", "R3"),
           ("INE", "bc", "国际铜", "R3"), ("INE", "ec", "集运指数(欧线)", "R4"), ("DCE", "i", "铁矿石", "R3"),
           ("DCE", "p", "棕榈油", "R3"), ("CZCE", "TA", "精对苯二甲酸(PTA)", "R3"), ("CZCE", "OI", "菜籽油", "R3")]
CFFEX = [("IF", "沪深300股指期货", FINANCIAL), ("IH", "上证50股指期货", FINANCIAL),
         ("IC", "中证500股指期货", FINANCIAL), ("IM", "中证1000股指期货", FINANCIAL),
         ("TS", "2年期国债期货", FINANCIAL), ("TF", "5年期国债期货", FINANCIAL), ("T", "10年期国债期货", FINANCIAL),
         ("TL", "30年期国债期货", FINANCIAL), ("IO", "沪深300股指期权", OPTION), ("MO", "中证1000股指期权", OPTION),
         ("HO", "上证50股指期权", OPTION)]
# Commodity options, spelt as the back-office spells an option product: the future's code and "_o".
COMMODITY_OPTIONS = [("SHFE", "cu_o", "铜期权"), ("SHFE", "au_o", "黄金期权"), ("DCE", "m_o", "豆粕期权"),
                     ("DCE", "i_o", "铁矿石期权"), ("CZCE", "SR_o", "白糖期权"), ("CZCE", "TA_o", "PTA期权"),
                     ("INE", "sc_o", "原油期权"), ("GFEX", "si_o", "工业硅期权")]


def rows():
    for exchange, products in PLAIN.items():
        for code, name in products:
            yield exchange, code, name, COMMODITY, "R3", Decimal("0"), False, False
    for exchange, code, name, level in SPECIAL:
        yield exchange, code, name, COMMODITY, level, SPECIAL_FUNDS, True, True
    for code, name, cls in CFFEX:
        yield "CFFEX", code, name, cls, "R4", CFFEX_FUNDS, True, True
    for exchange, code, name in COMMODITY_OPTIONS:
        yield exchange, code, name, OPTION, "R4", SPECIAL_FUNDS, True, True


def seed(apps, schema_editor):
    Product = apps.get_model("clients", "Product")
    Product.objects.bulk_create([
        Product(exchange=e, code=c, name=n, product_class=cls, risk_level=lvl, min_funds=funds,
                needs_knowledge_test=test, needs_trading_experience=exp)
        for e, c, n, cls, lvl, funds, test, exp in rows()
    ], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("clients", "0011_products_suitability_alerts")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
