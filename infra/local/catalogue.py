"""Demo parts catalogue (local stack and benches): realistic appliance part numbers and
descriptions, deterministic per company.  Some parts are superseded, some discontinued,
some out of stock; Pacific's have quantities per branch.
"""

import random
from datetime import UTC, datetime

from chalicelib.models import Part
from chalicelib.models.commerce import BranchStock
from chalicelib.repositories.keys import part_number_key

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

BRANDS = {  # brand -> part-number makers (rng -> number)
    "Whirlpool": [
        lambda r: f"W10{r.randint(100000, 999999)}{r.choice(['', 'A', 'B'])}",
        lambda r: f"WP{r.randint(2000000, 99999999)}",
    ],
    "GE": [lambda r: f"W{r.choice('RBDEH')}{r.randint(1, 99):02d}X{r.randint(10000, 29999)}"],
    "Samsung": [
        lambda r: f"D{r.choice('ACD')}{r.choice(['97', '82', '31', '61'])}-{r.randint(10000, 19999)}{r.choice('ABCD')}"
    ],
    "LG": [lambda r: f"{r.choice(['EBR', 'ADQ', 'AEQ', 'MFL', 'ACQ', '4681'])}{r.randint(10000000, 99999999)}"],
    "Frigidaire": [
        lambda r: f"5304{r.randint(400000, 529999)}",
        lambda r: f"{r.choice(['137', '316', '241'])}{r.randint(100000, 999999)}",
    ],
    "Bosch": [lambda r: f"00{r.randint(100000, 799999)}"],
    "Maytag": [lambda r: f"WP{r.randint(2000000, 99999999)}", lambda r: f"{r.randint(22000000, 25999999)}"],
}
COMPONENTS = {
    "refrigerator": [
        "water filter",
        "ice maker assembly",
        "defrost thermostat",
        "evaporator fan motor",
        "door gasket",
        "crisper drawer",
        "water inlet valve",
        "defrost heater",
        "door shelf bin",
        "start relay",
    ],
    "washer": [
        "drain pump",
        "lid switch",
        "drive belt",
        "door boot seal",
        "shock absorber",
        "water inlet valve",
        "agitator dogs kit",
        "door lock",
        "suspension rod",
    ],
    "dryer": [
        "drum belt",
        "heating element",
        "thermal fuse",
        "idler pulley",
        "drum roller",
        "igniter",
        "high limit thermostat",
        "door switch",
        "blower wheel",
    ],
    "dishwasher": [
        "upper rack wheel",
        "door gasket",
        "drain pump",
        "spray arm",
        "float switch",
        "detergent dispenser",
        "heating element",
        "rack adjuster",
    ],
    "range": [
        "bake element",
        "broil element",
        "surface burner knob",
        "oven igniter",
        "infinite switch",
        "oven temperature sensor",
        "burner grate",
        "door hinge",
    ],
    "microwave": [
        "door switch",
        "magnetron",
        "turntable motor",
        "high voltage diode",
        "glass turntable tray",
        "charcoal filter",
    ],
    "freezer": ["defrost timer", "door gasket", "condenser fan motor", "temperature control"],
}
UNITS = [("EA", 1)] * 12 + [("PK", 5), ("PK", 10), ("FT", 25)]
BRANCHES = {"pacific": ["SEA", "POR", "SAC"]}


def catalogue(company_id: str, count: int) -> list:
    """`count` parts: every 40th superseded by the next one made, every 55th discontinued,
    about 1 in 6 out of stock."""
    rng = random.Random(f"catalogue-{company_id}")
    parts: list[Part] = []
    seen: set[str] = set()
    while len(parts) < count:
        brand = rng.choice(sorted(BRANDS))
        number = rng.choice(BRANDS[brand])(rng).upper()
        if number in seen:
            continue
        seen.add(number)
        appliance = rng.choice(sorted(COMPONENTS))
        component = rng.choice(COMPONENTS[appliance])
        unit, pack = rng.choice(UNITS)
        cents = rng.randint(299, 48999)
        prices = {"list": cents, "retail": cents, "dealer": int(cents * 0.8), "contractor": int(cents * 0.88)}
        stock = rng.choice([0, 1, 2, 3, 4, 6, 12, 25, 40, 120, 0, 8])
        branches = None
        if company_id in BRANCHES:
            branches = [
                BranchStock(branch=code, qty=max(0, stock - rng.randint(0, stock))) for code in BRANCHES[company_id]
            ]
            if stock == 0:
                branches = [BranchStock(branch=code, qty=0) for code in BRANCHES[company_id]]
        part = Part(
            company_id,
            number,
            number_key=part_number_key(number),
            description=f"{brand} {appliance} {component}",
            unit=unit,
            pack_qty=pack,
            prices=prices,
            qty_available=sum(b.qty for b in branches) if branches else stock,
            branches=branches,
            discontinued=len(parts) % 55 == 54,
            core_charge_cents=2500 if component == "magnetron" else 0,
            erp_updated_at=NOW,
        )
        parts.append(part)
    for index in range(39, len(parts) - 1, 40):  # replaced by the next part of the list
        old, new = parts[index], parts[index + 1]
        old.superseded_by = new.part_no
        old.description = new.description
        old.qty_available = 0
        old.branches = [BranchStock(branch=b.branch, qty=0) for b in old.branches or []] or None
    for index in range(0, len(parts) - 3, 17):  # a few alternates
        parts[index].alternates = [parts[index + 2].part_no]
    return parts
