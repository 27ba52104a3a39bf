"""The demo's cast and catalogue as plain tables: categories, suppliers, products, shop personas,
their own goods and endorsements, and the name parts fans are made from.

Every email is at a reserved example domain (RFC 2606) so that nothing the demo does can reach
a real inbox. Prices here are whole yuan; the loader turns them into fen with bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- logins -------------------------------------------------------------------------------

DEMO_DOMAIN = "vshop.example"
OPERATOR_EMAIL = f"operator@{DEMO_DOMAIN}"
FAN_EMAIL = f"fan@{DEMO_DOMAIN}"
# One documented password per role; every demo account of that role shares it.
PASSWORDS = {
    "operator": "lantern-tea-42",
    "supplier": "bamboo-crate-42",
    "shop_owner": "peach-blossom-42",
    "fan": "lotus-pond-42",
}

# --- categories ----------------------------------------------------------------------------

# (slug, Chinese name, English name)
CATEGORIES: list[tuple[str, str, str]] = [
    ("baby", "母婴用品", "Baby & mum"),
    ("beauty", "美妆护肤", "Beauty & skincare"),
    ("food", "零食美食", "Food & snacks"),
    ("home", "家居日用", "Home & living"),
    ("fashion", "服饰鞋包", "Fashion"),
    ("health", "营养保健", "Health"),
    ("pets", "宠物用品", "Pets"),
]

# --- suppliers and their products ---------------------------------------------------------


@dataclass(frozen=True)
class SupplierRow:
    key: str
    email: str
    display_name: str
    company_name: str
    contact_name: str
    contact_phone: str
    licence_number: str


SUPPLIERS: list[SupplierRow] = [
    SupplierRow(
        "mianmian",
        f"supplier@{DEMO_DOMAIN}",
        "绵绵母婴 Mianmian Baby",
        "杭州绵绵母婴用品有限公司",
        "顾云 Gu Yun",
        "13957112345",
        "91330106MA2H3K7X1Q",
    ),
    SupplierRow(
        "shanye",
        f"shanye@{DEMO_DOMAIN}",
        "山野食品 Shanye Foods",
        "云南山野食品有限公司",
        "杨建华 Yang Jianhua",
        "13888012345",
        "91530100MA6K2P8R3T",
    ),
    SupplierRow(
        "qinghe",
        f"qinghe@{DEMO_DOMAIN}",
        "青禾美妆 Qinghe Beauty",
        "上海青禾美妆科技有限公司",
        "林晓 Lin Xiao",
        "13916612345",
        "91310115MA1F9C4W5D",
    ),
]


@dataclass(frozen=True)
class ProductRow:
    """A catalogue product. ``options`` names a set of variants in ``OPTION_SETS``."""

    supplier: str
    category: str
    shape: str
    title: str
    yuan: int
    options: str
    blurb: str


# Variants: option name -> values, and how much each value adds to the price (yuan).
OPTION_SETS: dict[str, list[dict[str, tuple[str, int]]]] = {
    "none": [],
    "colour3": [{"colour": ("奶白", 0)}, {"colour": ("雾蓝", 0)}, {"colour": ("樱粉", 0)}],
    "colour2": [{"colour": ("燕麦色", 0)}, {"colour": ("墨绿", 0)}],
    "baby_size": [
        {"colour": ("奶白", 0), "size": ("66cm", 0)},
        {"colour": ("奶白", 0), "size": ("73cm", 0)},
        {"colour": ("奶白", 0), "size": ("80cm", 10)},
        {"colour": ("浅杏", 0), "size": ("66cm", 0)},
        {"colour": ("浅杏", 0), "size": ("73cm", 0)},
        {"colour": ("浅杏", 0), "size": ("80cm", 10)},
    ],
    "clothes": [
        {"colour": ("白色", 0), "size": ("S", 0)},
        {"colour": ("白色", 0), "size": ("M", 0)},
        {"colour": ("白色", 0), "size": ("L", 0)},
        {"colour": ("黑色", 0), "size": ("M", 0)},
        {"colour": ("黑色", 0), "size": ("L", 0)},
        {"colour": ("黑色", 0), "size": ("XL", 10)},
    ],
    "shoes": [
        {"colour": ("米白", 0), "size": ("36", 0)},
        {"colour": ("米白", 0), "size": ("37", 0)},
        {"colour": ("米白", 0), "size": ("38", 0)},
        {"colour": ("米白", 0), "size": ("39", 0)},
        {"colour": ("灰粉", 0), "size": ("37", 0)},
        {"colour": ("灰粉", 0), "size": ("38", 0)},
    ],
    "kid_shoes": [{"size": ("13cm", 0)}, {"size": ("14cm", 0)}, {"size": ("15cm", 5)}],
    "volume": [{"size": ("30ml", 0)}, {"size": ("50ml", 40)}],
    "bottle": [{"size": ("160ml", 0)}, {"size": ("240ml", 10)}],
    "weight": [{"size": ("250g", 0)}, {"size": ("500g", 30)}],
    "pack": [{"size": ("3袋装", 0)}, {"size": ("6袋装", 25)}],
    "flavour": [{"flavour": ("原味", 0)}, {"flavour": ("海苔", 0)}, {"flavour": ("芝士", 3)}],
}

# fmt: off
PRODUCTS: list[ProductRow] = [
    # Mianmian: baby, home, pets
    ProductRow("mianmian", "baby", "bottle", "防胀气宽口径玻璃奶瓶 Anti-colic glass bottle", 89, "bottle", "高硼硅玻璃，耐冷热；防胀气阀减少宝宝吐奶。Borosilicate glass with an anti-colic valve."),
    ProductRow("mianmian", "baby", "romper", "有机棉婴儿连体衣 Organic cotton romper", 129, "baby_size", "GOTS 认证有机棉，无荧光剂，前开扣好穿脱。Certified organic cotton, front snaps."),
    ProductRow("mianmian", "baby", "jar", "婴儿护臀膏 Baby nappy balm", 49, "none", "氧化锌配方，无香精，新生儿可用。Zinc oxide, fragrance-free, from birth."),
    ProductRow("mianmian", "baby", "romper", "竹纤维纱布睡袋 Bamboo muslin sleeping bag", 169, "baby_size", "六层纱布，透气不闷汗，防踢被。Six layers of breathable muslin."),
    ProductRow("mianmian", "baby", "bottle", "硅胶学饮吸管杯 Silicone straw cup", 69, "colour3", "重力球吸管，怎么倒都能喝到。Weighted straw works at any angle."),
    ProductRow("mianmian", "baby", "jar", "婴儿洗发沐浴二合一 Baby 2-in-1 wash", 59, "volume", "氨基酸温和配方，无泪配方。Gentle amino-acid formula, no tears."),
    ProductRow("mianmian", "baby", "sneaker", "软底学步鞋 Soft-sole first walkers", 139, "kid_shoes", "鞋底可弯折，防滑，宝宝脚感自然。Flexible non-slip soles."),
    ProductRow("mianmian", "baby", "romper", "纯棉口水巾5条装 Cotton bibs, pack of 5", 39, "colour2", "双层纯棉，吸水快，机洗不变形。Double-layer cotton, machine washable."),
    ProductRow("mianmian", "baby", "bottle", "恒温调奶器 Formula kettle", 259, "none", "一键保温 45°C，夜奶不用等。Holds water at 45°C for night feeds."),
    ProductRow("mianmian", "home", "mug", "陶瓷马克杯 Stoneware mug", 59, "colour3", "手工釉色，每只略有不同。Hand-glazed, each one a little different."),
    ProductRow("mianmian", "home", "plant", "桌面绿植小盆栽 Desk plant in a pot", 45, "colour2", "好养活的绿萝，附陶盆。An easy pothos in a ceramic pot."),
    ProductRow("mianmian", "home", "jar", "玻璃密封储物罐 Glass storage jars", 79, "pack", "厨房收纳，防潮密封。Airtight glass jars for the kitchen."),
    ProductRow("mianmian", "home", "mug", "双层隔热玻璃杯 Double-wall glass", 69, "none", "不烫手，咖啡拿铁都好看。Cool to hold, pretty with latte."),
    ProductRow("mianmian", "home", "plant", "香薰蜡烛 Soy wax candle", 89, "colour2", "大豆蜡，燃烧 40 小时。Soy wax, 40 hours of burning."),
    ProductRow("mianmian", "home", "jar", "竹纤维洗碗巾 Bamboo dish cloths", 29, "pack", "不掉毛不沾油。Lint-free and grease-free."),
    ProductRow("mianmian", "home", "mug", "保温焖烧杯 Thermal food jar", 129, "colour3", "早上装粥，中午还是热的。Porridge at 8, still warm at noon."),
    ProductRow("mianmian", "pets", "paw", "猫咪抓板 Cat scratching board", 39, "none", "瓦楞纸加厚，耐抓。Thick corrugated cardboard."),
    ProductRow("mianmian", "pets", "bone", "狗狗磨牙洁齿骨 Dog dental chews", 49, "weight", "天然牛皮，无添加。Natural hide, no additives."),
    ProductRow("mianmian", "pets", "snack_bag", "冻干鸡肉粒 Freeze-dried chicken treats", 59, "weight", "单一肉源，猫狗通用。Single protein, for cats and dogs."),
    ProductRow("mianmian", "pets", "paw", "宠物保暖窝 Cosy pet bed", 119, "colour2", "可拆洗，冬天不冷。Washable cover, warm in winter."),
    ProductRow("mianmian", "pets", "snack_bag", "豆腐猫砂 Tofu cat litter", 45, "pack", "结团快，可冲厕所。Clumps fast, flushable."),
    # Shanye: food, health
    ProductRow("shanye", "food", "snack_bag", "云南高山小粒咖啡 Yunnan highland coffee beans", 79, "weight", "保山小粒咖啡，中度烘焙，坚果可可香。Medium roast, notes of nut and cocoa."),
    ProductRow("shanye", "food", "cookie", "手工鲜花饼 Handmade rose pastries", 49, "pack", "现摘玫瑰入馅，酥皮层层。Fresh rose petal filling, flaky crust."),
    ProductRow("shanye", "food", "honey", "野生百花蜜 Wild flower honey", 98, "weight", "山区自然成熟蜜，浓稠会结晶。Ripe mountain honey; it crystallises, as real honey does."),
    ProductRow("shanye", "food", "snack_bag", "每日坚果 Daily mixed nuts", 89, "pack", "六种坚果果干，小包装不受潮。Six nuts and fruits in daily packs."),
    ProductRow("shanye", "food", "cookie", "全麦燕麦饼干 Wholegrain oat biscuits", 35, "flavour", "低糖配方，办公室常备。Less sugar, a desk-drawer staple."),
    ProductRow("shanye", "food", "snack_bag", "牦牛肉干 Yak jerky", 128, "flavour", "手撕风干，越嚼越香。Air-dried, tear by hand."),
    ProductRow("shanye", "food", "honey", "普洱熟茶 Ripe Pu'er tea", 168, "weight", "七年陈，汤色红浓。Seven years aged, a deep red cup."),
    ProductRow("shanye", "food", "cookie", "云腿月饼 Yunnan ham mooncakes", 88, "pack", "宣威火腿，咸甜适中。Xuanwei ham, sweet and savoury."),
    ProductRow("shanye", "food", "snack_bag", "菌菇脆片 Crispy mushroom chips", 29, "flavour", "真空低温烘焙，不油腻。Vacuum-fried at low heat, not oily."),
    ProductRow("shanye", "food", "honey", "玫瑰花酱 Rose petal jam", 45, "none", "抹面包、冲水都好喝。On toast or stirred into water."),
    ProductRow("shanye", "food", "snack_bag", "小粒黑糖 Yunnan black sugar cubes", 32, "weight", "甘蔗古法熬制。Slow-boiled from sugar cane."),
    ProductRow("shanye", "food", "honey", "手工油辣子 Chili crisp", 29, "none", "菜籽油慢炸，香而不燥。Slow-fried in rapeseed oil."),
    ProductRow("shanye", "health", "capsules", "鱼油软胶囊 Fish oil softgels", 158, "none", "深海鱼油，高纯度 Omega-3。High-purity omega-3."),
    ProductRow("shanye", "health", "pill_bottle", "复合维生素 Multivitamin tablets", 129, "none", "一天一片，全家可用。One a day for adults."),
    ProductRow("shanye", "health", "capsules", "益生菌粉 Probiotic sachets", 139, "pack", "十种菌株，冷链运输。Ten strains, shipped cold."),
    ProductRow("shanye", "health", "honey", "三七粉 Panax notoginseng powder", 199, "weight", "文山三七，超细研磨。Wenshan sanqi, finely milled."),
    ProductRow("shanye", "health", "pill_bottle", "维生素 D3 滴剂 Vitamin D3 drops", 89, "none", "婴幼儿与成人适用。For babies and adults."),
    ProductRow("shanye", "health", "capsules", "叶黄素软胶囊 Lutein softgels", 119, "none", "久看屏幕的护眼伙伴。For long hours at a screen."),
    ProductRow("shanye", "health", "honey", "红枣枸杞茶 Jujube & goji tea", 39, "pack", "小包冲泡，暖胃养颜。In sachets, warming."),
    # Qinghe: beauty, fashion
    ProductRow("qinghe", "beauty", "dropper", "玻尿酸保湿精华 Hyaluronic serum", 169, "volume", "三重玻尿酸，清爽不黏。Three hyaluronic acids, light, not sticky."),
    ProductRow("qinghe", "beauty", "jar", "神经酰胺修护面霜 Ceramide repair cream", 199, "volume", "屏障修护，敏感肌可用。Repairs the skin barrier; fine for sensitive skin."),
    ProductRow("qinghe", "beauty", "lipstick", "丝绒哑光口红 Velvet matte lipstick", 129, "colour3", "不拔干，持妆 8 小时。Comfortable, lasts 8 hours."),
    ProductRow("qinghe", "beauty", "dropper", "氨基酸洁面乳 Amino-acid cleanser", 89, "none", "温和清洁，洗后不紧绷。Gentle; skin does not feel tight."),
    ProductRow("qinghe", "beauty", "jar", "清透防晒霜 SPF50 sunscreen", 139, "volume", "水感质地，不泛白。Watery texture, no white cast."),
    ProductRow("qinghe", "beauty", "lipstick", "润唇膏 Tinted lip balm", 59, "colour3", "淡淡有色，日常够用。A hint of colour for every day."),
    ProductRow("qinghe", "beauty", "dropper", "烟酰胺美白精华 Niacinamide serum", 189, "volume", "5% 烟酰胺，提亮肤色。5% niacinamide to brighten."),
    ProductRow("qinghe", "beauty", "jar", "睡眠面膜 Overnight mask", 119, "none", "睡一觉，早上水润。Wake up to plumper skin."),
    ProductRow("qinghe", "beauty", "lipstick", "眉笔 Fine brow pencil", 49, "colour2", "极细笔头，画出自然眉。An ultra-fine tip for natural brows."),
    ProductRow("qinghe", "beauty", "dropper", "卸妆油 Cleansing oil", 109, "volume", "乳化快，不糊眼。Emulsifies fast, no blurry eyes."),
    ProductRow("qinghe", "fashion", "tshirt", "重磅纯棉T恤 Heavyweight cotton tee", 99, "clothes", "260g 重磅棉，不透不变形。260 g cotton that keeps its shape."),
    ProductRow("qinghe", "fashion", "handbag", "通勤托特包 Everyday tote bag", 239, "colour2", "能装下 14 寸电脑。Fits a 14-inch laptop."),
    ProductRow("qinghe", "fashion", "sneaker", "轻便小白鞋 Light white sneakers", 269, "shoes", "鞋垫软，走一天不累。Soft insoles for all-day walking."),
    ProductRow("qinghe", "fashion", "tshirt", "亚麻衬衫 Linen shirt", 189, "clothes", "夏天穿透气。Breathes in summer."),
    ProductRow("qinghe", "fashion", "handbag", "小号斜挎包 Small crossbody bag", 159, "colour3", "手机钥匙都放得下。Phone and keys fit."),
    ProductRow("qinghe", "fashion", "sneaker", "一脚蹬乐福鞋 Slip-on loafers", 229, "shoes", "软牛皮，不磨脚。Soft leather, no blisters."),
    ProductRow("qinghe", "fashion", "tshirt", "针织开衫 Knit cardigan", 209, "clothes", "空调房必备。For air-conditioned offices."),
    ProductRow("qinghe", "fashion", "handbag", "真丝发圈3个装 Silk scrunchies, 3 pack", 39, "colour2", "不勒头发，不留折痕。No dents, no pulling."),
    ProductRow("qinghe", "fashion", "tshirt", "儿童纯棉卫衣 Kids' cotton hoodie", 119, "clothes", "亲子款，可以和妈妈穿一样的。Matches the grown-up one."),
    ProductRow("qinghe", "fashion", "sneaker", "居家拖鞋 Cosy house slippers", 59, "shoes", "静音软底。Soft, quiet soles."),
]
# fmt: on

# --- shops -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnGoodsRow:
    category: str
    shape: str
    title: str
    yuan: int
    stock: int
    endorsement: str


@dataclass(frozen=True)
class ShopRow:
    email: str
    owner_name: str
    name: str
    slug: str
    category: str
    bio: str
    verified: bool
    # Categories she picks from, in order of preference, and how many listings she has.
    picks: tuple[str, ...]
    listings: int
    own_goods: tuple[OwnGoodsRow, ...] = field(default_factory=tuple)


SHOPS: list[ShopRow] = [
    ShopRow(
        email=f"lily@{DEMO_DOMAIN}",
        owner_name="陈莉莉 Lily Chen",
        name="莉莉妈妈的好物 Lily Mama's Picks",
        slug="lily-mama",
        category="baby",
        bio=(
            "两个孩子的妈妈，做过八年儿科护士。这里的每一样东西都在我家用了三个月以上，"
            "不好用的我不卖。\nMum of two and a paediatric nurse for eight years. Everything "
            "here has been used in my home for at least three months; if it didn't work for us, "
            "I don't sell it."
        ),
        verified=True,
        picks=("baby", "home", "health"),
        listings=14,
        own_goods=(
            OwnGoodsRow(
                "baby",
                "romper",
                "闲置绘本10本打包 Ten gently used picture books",
                60,
                2,
                "孩子长大了，这些绘本都很新，送给需要的小朋友。My kids outgrew them; nearly new.",
            ),
        ),
    ),
    ShopRow(
        email=f"aj@{DEMO_DOMAIN}",
        owner_name="周子杰 AJ Zhou",
        name="阿杰的深夜零食铺 AJ's Midnight Snacks",
        slug="aj-snacks",
        category="food",
        bio=(
            "美食博主，三年试吃了两千多种零食，只留下最好吃的那几十种。"
            "每周直播拆箱，好不好吃当场说。\nFood blogger: I've tasted over two thousand snacks in "
            "three years and kept the few dozen worth buying. I unbox live every week and say "
            "what I think on camera."
        ),
        verified=False,
        picks=("food", "health"),
        listings=12,
    ),
    ShopRow(
        email=f"sophie@{DEMO_DOMAIN}",
        owner_name="王思菲 Sophie Wang",
        name="Sophie的护肤笔记 Sophie's Skin Notes",
        slug="sophie-skin",
        category="beauty",
        bio=(
            "化妆品配方师，敏感肌十年。我会告诉你每一瓶的成分表里写了什么，"
            "也会告诉你什么肤质不适合。\nCosmetic chemist with ten years of sensitive skin. I tell "
            "you what's on every ingredient list, and who should skip it."
        ),
        verified=True,
        picks=("beauty", "fashion"),
        listings=15,
    ),
    ShopRow(
        email=f"laozhang@{DEMO_DOMAIN}",
        owner_name="张建国 Zhang Jianguo",
        name="老张的居家小店 Lao Zhang Home",
        slug="laozhang-home",
        category="home",
        bio=(
            "退休木匠，喜欢琢磨厨房里的小物件。自己做的木勺每一把都手工打磨，"
            "邻居们用了都说好。\nRetired carpenter who loves kitchen things. I sand every spoon I "
            "make by hand; the neighbours have been using them for years."
        ),
        verified=False,
        picks=("home", "pets", "food"),
        listings=9,
        own_goods=(
            OwnGoodsRow(
                "home",
                "jar",
                "手工榉木汤勺 Handmade beech spoon",
                38,
                25,
                "每一把都是我亲手做的，食用级木蜡油。I make each one myself; food-safe oil finish.",
            ),
            OwnGoodsRow(
                "home",
                "plant",
                "老榆木砧板 Old elm chopping board",
                168,
                6,
                "老房梁的榆木，结实耐用。Elm from old roof beams, sturdy for decades.",
            ),
        ),
    ),
    ShopRow(
        email=f"xiaolu@{DEMO_DOMAIN}",
        owner_name="杨小鹿 Xiaolu Yang",
        name="小鹿的云南山货 Xiaolu's Yunnan Finds",
        slug="xiaolu-yunnan",
        category="food",
        bio=(
            "大理姑娘，家里世代种茶采菌。我卖的都是自家和邻居家的山货，"
            "采摘和晾晒都会发视频给你们看。\nA girl from Dali whose family has grown tea and "
            "picked mushrooms for generations. I sell what my family and neighbours harvest, and "
            "film the picking and drying for you."
        ),
        verified=False,
        picks=("food", "health", "beauty"),
        listings=11,
        own_goods=(
            OwnGoodsRow(
                "food",
                "snack_bag",
                "自家晒干野生牛肝菌 Sun-dried wild porcini",
                158,
                30,
                "雨季上山采的，晒了七天，泡发后香得不得了。Picked in the rainy season, dried for a week.",
            ),
            OwnGoodsRow(
                "food",
                "honey",
                "古法手工红糖 Hand-boiled brown sugar",
                36,
                0,
                "阿奶用老灶熬的，今年的已经卖完，下个月再熬。Grandma's batch; sold out until next month.",
            ),
        ),
    ),
]

# What owners write under a product, by category: "why I recommend it".
ENDORSEMENTS: dict[str, list[str]] = {
    "baby": [
        "老二从出生用到现在，洗了几十次还是软软的。We've used it since our second was born.",
        "护士妈妈的私心推荐：成分干净，宝宝没有红屁屁。Clean ingredients, no nappy rash.",
        "夜奶神器，半夜不用手忙脚乱。A lifesaver for night feeds.",
        "身边好几个新手妈妈用了都回购。Several new mums I know have bought it again.",
    ],
    "beauty": [
        "成分表我逐条看过，没有致敏香精。I read the whole ingredient list: no irritating fragrance.",
        "敏感肌亲测一个月，没有泛红。A month on my sensitive skin, no redness.",
        "质地很轻，夏天也不闷。Light enough for summer.",
        "性价比很高，专柜一半的价格。Half the counter price for the same actives.",
    ],
    "food": [
        "直播时现场试吃，弹幕都说想要。I tasted it live and the chat went wild.",
        "办公室下午茶的固定选择。My standing order for office tea time.",
        "这个味道是我小时候的记忆。Tastes like my childhood.",
        "配料表干净，孩子也能吃。Clean ingredients; fine for kids.",
    ],
    "home": [
        "我家厨房用了一年，还像新的一样。A year in my kitchen and still like new.",
        "小东西，但每天都用得上。Small, but I use it every day.",
        "送长辈很合适，实用又体面。A good gift for parents.",
    ],
    "fashion": [
        "面料我摸过，厚实不透。I've felt the fabric: thick and opaque.",
        "通勤和周末都能穿。Works for the office and weekends.",
        "尺码标准，按平时买就行。True to size.",
    ],
    "health": [
        "我们全家在吃，坚持三个月有感觉。The whole family takes it.",
        "买之前问过医生朋友的意见。I asked a doctor friend before choosing it.",
        "大厂出品，检测报告齐全。Made by a big lab with full test reports.",
    ],
    "pets": [
        "我家猫主子认证过的。Approved by my cat.",
        "狗狗每天都在等这一口。My dog waits for it every day.",
    ],
}

# --- fans ----------------------------------------------------------------------------------

# (Chinese, pinyin)
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"),
    ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie"), ("唐", "tang"),
]  # fmt: skip
GIVEN_NAMES = [
    ("芳", "fang"), ("静", "jing"), ("敏", "min"), ("婷", "ting"), ("丽", "li"),
    ("雪", "xue"), ("欣怡", "xinyi"), ("雨涵", "yuhan"), ("梓萱", "zixuan"), ("思远", "siyuan"),
    ("浩然", "haoran"), ("子涵", "zihan"), ("晓燕", "xiaoyan"), ("佳怡", "jiayi"), ("一诺", "yinuo"),
    ("俊杰", "junjie"), ("建平", "jianping"), ("晨曦", "chenxi"), ("若溪", "ruoxi"), ("可馨", "kexin"),
    ("明轩", "mingxuan"), ("诗琪", "shiqi"), ("嘉豪", "jiahao"), ("文博", "wenbo"), ("美玲", "meiling"),
    ("秀英", "xiuying"), ("小红", "xiaohong"), ("海燕", "haiyan"), ("志强", "zhiqiang"), ("丹丹", "dandan"),
]  # fmt: skip
ENGLISH_FIRST = [
    "Emma", "Olivia", "Sophia", "Grace", "Chloe", "Hannah", "Lucy", "Mia", "Amelia", "Ella",
    "James", "Oliver", "Daniel", "Ethan", "Lucas", "Henry", "Jack", "Leo", "Ryan", "Noah",
]  # fmt: skip
ENGLISH_LAST = [
    "Smith", "Brown", "Taylor", "Wilson", "Clarke", "Walker", "Hughes", "Evans", "Turner", "Wright",
    "Tan", "Lim", "Ng", "Wong", "Ho",
]  # fmt: skip
# Reserved example domains (RFC 2606): no demo email can reach a real inbox.
FAN_EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]
# Demo mobile numbers are 139 0000 xxxx: well-formed, in one block the reset can recognise.
FAN_MOBILE_PREFIX = "1390000"

# --- buying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressRow:
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str
    is_default: bool = False


# The demo fan's address book: home (the default) and her office.
FAN_ADDRESSES = [
    AddressRow(
        "林小美",
        "13857162039",
        "浙江省",
        "杭州市",
        "西湖区",
        "文一西路 522 号 西溪诚园 3 幢 2 单元 501 室",
        is_default=True,
    ),
    AddressRow(
        "林小美",
        "13857162039",
        "浙江省",
        "杭州市",
        "上城区",
        "解放东路 58 号 财富金融中心 东楼 18 层 前台代收",
    ),
]

# Other demo fans who bought something: their index in ``loader.fan_rows()`` and where they live.
OTHER_BUYERS: list[tuple[int, AddressRow]] = [
    (1, AddressRow("李俊杰", "13812076451", "上海市", "上海市", "浦东新区", "张杨路 1208 弄 12 号 602 室")),
    (5, AddressRow("陈若溪", "13926815530", "广东省", "广州市", "天河区", "天河北路 233 号 中信广场 1106 室")),
]  # fmt: skip

# Delivery rules, in fen: (flat fee, free from). The demo supplier charges ¥8, free from ¥99;
# Lily charges ¥6 for her own goods. Everyone else delivers free.
SUPPLIER_DELIVERY: dict[str, tuple[int, int | None]] = {"mianmian": (800, 9900)}
SHOP_DELIVERY: dict[str, tuple[int, int | None]] = {"lily-mama": (600, None)}

CANCEL_REASON = "地址选错了，重新下单。Picked the wrong address; ordering again."
AFTER_SALES_DESCRIPTION = (
    "快递到的时候外箱被压扁了，里面的东西也压坏了一角，照片里能看到。"
    "The box arrived crushed and the item inside is damaged at one corner (see the photo)."
)
