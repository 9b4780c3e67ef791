"""A large synthetic catalogue made from the demo content, for benchmarking search.

`generate(target_dir, count)` writes a complete content folder: municipalities.yml,
situations.yml and pages/ are copied from the demo content, and `count` offers are made
by recombining the demo offers. Each generated offer starts from one demo offer (its
facts: access, channels, audiences, sources) and mixes in text from a second one, so the
vocabulary, lengths and Danish/English balance are those of real content, while slugs,
municipalities, situations, titles and keywords differ from offer to offer.

Run alone to inspect the output:  python -m bench.generate /tmp/catalogue --count 2000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONTENT = ROOT / "content"
TEXT_FIELDS = ("description", "for_whom", "how_to_use", "waiting_time", "what_happens",
               "contact")
SUMMARY_MAX = 160
TITLE_MAX = 200


def generate(target_dir: str | Path, count: int = 2000, source_dir: str | Path = DEMO_CONTENT,
             seed: int = 2026) -> list[str]:
    """Write a content folder with `count` offers into `target_dir`; return their slugs."""
    source, target = Path(source_dir), Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("municipalities.yml", "situations.yml"):
        shutil.copy2(source / name, target / name)
    if (target / "pages").exists():
        shutil.rmtree(target / "pages")
    shutil.copytree(source / "pages", target / "pages")
    offers_dir = target / "offers"
    if offers_dir.exists():
        shutil.rmtree(offers_dir)
    offers_dir.mkdir()

    places = _load(source / "municipalities.yml")
    area_names = {a["slug"]: a for a in places["regions"] + places["municipalities"]}
    municipalities = [m["slug"] for m in places["municipalities"]]
    regions = [r["slug"] for r in places["regions"]]
    situations = [s["slug"] for s in _load(source / "situations.yml")["situations"]]
    demo = [_load(p) for p in sorted((source / "offers").glob("*.yml"))]
    if not demo:
        raise SystemExit(f"No demo offers in {source / 'offers'}")

    rng = random.Random(seed)
    slugs = []
    for i in range(count):
        base = demo[i % len(demo)]
        donor = rng.choice([d for d in demo if d is not base])
        # Most offers are a municipality's own; about one in eight is a region's.
        area = rng.choice(regions) if rng.random() < 0.12 else rng.choice(municipalities)
        offer = _vary(base, donor, area, area_names[area], situations, rng, i)
        slugs.append(offer["slug"])
        path = offers_dir / f"{offer['slug']}.yml"
        path.write_text(yaml.dump(offer, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                                  width=100), encoding="utf-8")
    return slugs


def _vary(base: dict, donor: dict, area: str, area_names: dict, situations: list[str],
          rng: random.Random, number: int) -> dict:
    stem = _stem(base["slug"], base["municipality"])
    slug = f"{stem}-{area}-{number:04d}"[:80].strip("-")
    wanted = list(base["situations"])
    if rng.random() < 0.5:  # a second topic, from the donor or at random
        extra = rng.choice(donor["situations"] if rng.random() < 0.7 else situations)
        if extra not in wanted:
            wanted.append(extra)
    title_style = rng.random()
    take_from_donor = {f: rng.random() < 0.35 for f in TEXT_FIELDS}
    extra_paragraph = rng.random() < 0.5
    keyword_share = rng.uniform(0.5, 1.0)
    offer = {
        "slug": slug,
        "municipality": area,
        "access": base["access"],
        "anonymous": base["anonymous"],
        "virtual": base["virtual"],
        **({"channels": base["channels"]} if base.get("channels") else {}),
        "audiences": base["audiences"],
        "situations": wanted,
        **{k: base[k] for k in ("min_age", "max_age") if base.get(k) is not None},
        "sources": base["sources"],
        "last_checked": base["last_checked"],
    }
    for lang in ("da", "en"):
        b, d = base[lang], donor[lang]
        place = area_names[lang]["name"]
        text: dict = {}
        head, donor_head = _head(b["title"]), _head(d["title"])
        if title_style < 0.4:
            title = b["title"]
        elif title_style < 0.75:
            title = f"{head} — {place}"
        else:
            title = f"{head} og {donor_head.lower()}" if lang == "da" else \
                f"{head} and {donor_head.lower()}"
        text["title"] = title[:TITLE_MAX]
        summary = b["summary"] if rng.random() < 0.7 else d["summary"]
        text["summary"] = summary[:SUMMARY_MAX]
        for name in TEXT_FIELDS:
            text[name] = (d if take_from_donor[name] else b)[name]
        if extra_paragraph:
            paragraph = _paragraphs(d["description"])[0]
            text["description"] = text["description"].rstrip() + "\n\n" + paragraph + "\n"
        text["provider"] = place if title_style < 0.5 else b["provider"]
        if b.get("legal_basis"):
            text["legal_basis"] = b["legal_basis"]
        keywords = list(dict.fromkeys(b.get("keywords", []) + d.get("keywords", [])[:3]))
        text["keywords"] = keywords[:max(1, round(len(keywords) * keyword_share))]
        offer[lang] = text
    return offer


def _stem(slug: str, municipality: str) -> str:
    """The offer part of a demo slug ("gaeldsraadgivning-haderslev" -> "gaeldsraadgivning")."""
    suffix = f"-{municipality}"
    stem = slug[: -len(suffix)] if slug.endswith(suffix) else slug
    return stem[:50].strip("-")


def _head(title: str) -> str:
    return title.split(" — ")[0].split(" (")[0].strip()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()] or [text.strip()]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when available
    """Multi-line texts as `|` blocks, as editors write them."""


def _block_strings(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _block_strings)


def _load(path: Path) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="Folder to write (created; offers/ is replaced).")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    slugs = generate(args.target, args.count, seed=args.seed)
    print(f"Wrote {len(slugs)} offers to {args.target}")


if __name__ == "__main__":
    main()
