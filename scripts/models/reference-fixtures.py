"""Reference fixtures for the TypeScript WordPiece tokenizer and the TF.js MiniLM encoder.

Runs the reference Python implementation (HuggingFace `tokenizers` and `sentence-transformers`) on the
staged all-MiniLM-L6-v2 model and writes, into libs/ml/src/transformer/fixtures/:
  - minilm-reference.json: for ~40 sentences (headlines, tweets, cashtags, numbers, URLs, accents, CJK,
    emoji, control characters, an empty string, an over-long word, a text past 128 word pieces...)
    the word pieces, token ids, word ids, word offsets (UTF-16, like JavaScript strings), the attention
    mask of the padded batch (max length 128), the sentence-transformers embedding (mean pooling + L2
    normalization) and the raw mean-pooled embedding before normalization, to 7 significant digits;
  - bert-unicode-reference.json: how the library's BertNormalizer and BertPreTokenizer treat every
    Unicode code point (dropped, turned into a space, punctuation, whitespace, nonspacing mark, NFD,
    lower-case), so the TypeScript tables can be checked code point by code point.

Usage: bash scripts/models/reference-fixtures.sh (stages the model and creates the pinned venv first),
or directly: python reference-fixtures.py --model-dir DIR [--out-dir DIR] [--skip-unicode]
"""
import argparse
import hashlib
import json
import os
import random
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer, normalizers, pre_tokenizers

MAX_LENGTH = 128
RANDOM_TEXTS = 300

LONG_TEXT = (
    "Quarterly results: revenue grew 14% year over year to EUR 2.31 bn, operating margin widened by 180 "
    "basis points, free cash flow reached EUR 412 mn and net debt fell to 1.1x EBITDA; management raised "
    "full-year guidance for sales, EBIT and earnings per share, announced a EUR 500 mn buyback, and said "
    "order intake in Germany, France, the Nordics and North America remained robust despite weaker "
    "construction demand in China, currency headwinds from the Swedish krona and the Japanese yen, "
    "higher freight costs and a one-off impairment of EUR 37 mn related to the divestment of the "
    "legacy packaging unit in Finland, which closes in the third quarter subject to regulatory approval "
    "by the European Commission and the competition authorities of several member states."
)

SENTENCES = [
    "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
    "The company is located in Helsinki.",
    "$TSLA plunges 12% after Q3 deliveries miss estimates",
    "$AAPL $MSFT,$GOOG: Big Tech rallies as yields fall https://t.co/G9Zdi1boy5",
    "Net sales decreased by 3.5 % to EUR 1,234.5 million (2019: EUR 1,279.3 million).",
    "Shares of Müller AG jumped; the café chain's naïve rivals lag behind.",
    "Nestlé, L'Oréal and Hermès lead CAC 40 gains; São Paulo's Ibovespa slips",
    "中国平安股价上涨 3%，市场情绪回暖",
    "トヨタ自動車の株価が上昇",
    "삼성전자 주가 하락 우려",
    "🚀🚀 $GME to the moon 📈🥳 #stonks",
    "Fed holds rates 😐 markets shrug 🤷\u200d♂️",
    "tab\there, new\nline and\r\ncarriage \u00a0nbsp\u3000ideographic space",
    "control\u0000char\u0007s\ufffd and zero\u200bwidth join",
    "",
    "   ",
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    LONG_TEXT,
    "BREAKING: APPLE BEATS ON EARNINGS, GUIDES HIGHER",
    "WoW!!! Earnings beat?!... Stock up $$$ ---> buy???",
    "don't can't it's O'Reilly's CEO's ‘quoted’ “smart” don’t",
    "Dividend of EUR 0.90 per share (EUR 0.85), payable on 12.05.2021",
    "EBITDA margin: 23.4% vs. 21.9%; EPS $1.23 (-4.5% y/y)",
    "İstanbul borsası ΟΔΟΣ Straße ǅemal ﬁnance Ａｐｐｌｅ　１２３",
    "e\u0301le\u0300ve ZAC\u0327 a\u0323\u0301 q\u0307\u0323 A\u0345\u0301",
    "hello [MASK] world [CLS] and [SEP][UNK] vs [mask]",
    "Email ir@example.com or visit www.example.com/investors?id=42&x=y",
    "S&P 500 e-mini futures: 4,512.25 (+0.8%) | Nasdaq-100: 15,890",
    "Q2/2023 — revenue ↑ 7 %, costs ↓ 2 % … outlook “stable”",
    "The board proposes a dividend of 1.20 euro per share",
    "Nokia Oyj to cut 10,000 jobs as 5G demand slows",
    "#earnings #stocks $NVDA beats, guides above consensus; AI demand 'insatiable'",
    "Bitcoin slides below $30k as crypto selloff deepens",
    "Moody's downgrades Evergrande to Ca; outlook negative",
    "سهم أرامكو يرتفع ٢٪ في التداولات المبكرة",
    "Акции Газпрома упали на 5%",
    "Lufthansa says Q4 bookings 'très bien', shares +2.1%",
    "x" * 101,
    "word " * 140,
    "Mixed CaSe TeXt WiTh NuMb3rs l1k3 th1s",
]


# Code point pools for the seeded random texts: scripts, marks that NFD reorders, CJK, emoji, controls.
RANDOM_POOLS = [
    (0x20, 0x7E), (0xA0, 0x17F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
    (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x1A00, 0x1B7F), (0x2000, 0x206F),
    (0x3000, 0x30FF), (0x4E00, 0x4E80), (0xA800, 0xA9FF), (0xAC00, 0xAC80), (0xF900, 0xF920),
    (0xFE00, 0xFE6F), (0xFF00, 0xFFEF), (0x10000, 0x1007F), (0x11000, 0x1127F), (0x1D100, 0x1D1FF),
    (0x1F300, 0x1F6FF), (0x0, 0x1F),
]


def random_texts(count, seed=7):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 40)):
            lo, hi = rng.choice(RANDOM_POOLS) if rng.random() < 0.5 else (0x61, 0x7A)
            chars.append(chr(rng.randint(lo, hi)))
            if rng.random() < 0.15:
                chars.append(" ")
        texts.append("".join(chars))
    return texts


def sig7(values):
    return [float("%.7g" % v) for v in values]


def utf16_offsets(text):
    """Code point index -> UTF-16 index (JavaScript string offsets)."""
    out, k = [], 0
    for ch in text:
        out.append(k)
        k += 2 if ord(ch) > 0xFFFF else 1
    out.append(k)
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def token_row(text, enc):
    """Pieces, ids, word ids and each word's UTF-16 span [start, end) in the text."""
    u = utf16_offsets(text)
    words = {}
    for w, (s, e) in zip(enc.word_ids, enc.offsets):
        if w is not None:
            a, b = words.get(w, (u[s], u[e]))
            words[w] = (min(a, u[s]), max(b, u[e]))
    return {
        "text": text,
        "tokens": enc.tokens,
        "ids": enc.ids,
        "wordIds": [-1 if w is None else w for w in enc.word_ids],
        "words": [list(words[w]) for w in sorted(words)],
    }


def sentences_fixture(model_dir):
    tokenizer_path = os.path.join(model_dir, "tokenizer.json")
    tok = Tokenizer.from_file(tokenizer_path)
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    model = SentenceTransformer(model_dir, device="cpu")
    model.max_seq_length = MAX_LENGTH
    model.eval()
    features = model.tokenize(SENTENCES)
    with torch.no_grad():
        pooled = model[1](model[0](dict(features)))["sentence_embedding"].numpy()
    embeddings = model.encode(SENTENCES, batch_size=64, convert_to_numpy=True, normalize_embeddings=False)
    # the pipeline's Normalize module must be what turns the pooled vectors into the embeddings
    normalized = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    if not np.allclose(normalized, embeddings, atol=1e-5):
        sys.exit("sentence-transformers' embeddings are not the L2-normalized mean pooling")
    rows = []
    for i, text in enumerate(SENTENCES):
        enc = tok.encode(text)
        ids = features["input_ids"][i].tolist()
        mask = features["attention_mask"][i].tolist()
        if ids[: len(enc.ids)] != enc.ids or sum(mask) != len(enc.ids):
            sys.exit("tokenizers and sentence-transformers disagree on %r" % text)
        rows.append(
            {
                **token_row(text, enc),
                "attentionMask": mask,
                "embedding": sig7(embeddings[i]),
                "meanPooled": sig7(pooled[i]),
            }
        )
    tok.no_truncation()
    randoms = [token_row(text, tok.encode(text)) for text in random_texts(RANDOM_TEXTS)]
    for row in randoms:
        del row["tokens"]
    return {
        "generator": "scripts/models/reference-fixtures.py",
        "versions": {
            "sentence-transformers": sentence_transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
        "model": {
            "tokenizerSha256": sha256(tokenizer_path),
            "weightsSha256": sha256(os.path.join(model_dir, "model.safetensors")),
        },
        "maxLength": MAX_LENGTH,
        "sequenceLength": len(features["input_ids"][0]),
        "pooling": "mean over attention mask; embedding = meanPooled / max(||meanPooled||, 1e-12)",
        "sentences": rows,
        "randomTexts": randoms,
    }


def ranges(code_points):
    out = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return " ".join("%x" % a if a == b else "%x-%x" % (a, b) for a, b in out)


def hexes(s):
    return " ".join("%x" % ord(c) for c in s)


def hangul_jamo(cp):
    """The algorithmic NFD of a Hangul syllable (Unicode 3.12)."""
    s = cp - 0xAC00
    lead, vowel, trail = 0x1100 + s // 588, 0x1161 + (s % 588) // 28, 0x11A7 + s % 28
    return chr(lead) + chr(vowel) + (chr(trail) if trail != 0x11A7 else "")


def unicode_fixture():
    clean = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    strip = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
    )
    nfd = normalizers.NFD()
    lower = normalizers.Lowercase()
    pre = pre_tokenizers.BertPreTokenizer()
    classes = {k: [] for k in ("dropped", "spaces", "punctuation", "whitespace", "nonspacingMarks")}
    decompositions, lowercase = {}, {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        cleaned = clean.normalize_str(c)
        if cleaned == "":
            classes["dropped"].append(cp)
        elif cleaned == " " and c != " ":
            classes["spaces"].append(cp)
        pieces = [p for p, _ in pre.pre_tokenize_str("a" + c + "b")]
        if pieces == ["a", c, "b"]:
            classes["punctuation"].append(cp)
        elif pieces == ["a", "b"]:
            classes["whitespace"].append(cp)
        decomposed = nfd.normalize_str(c)
        if 0xAC00 <= cp <= 0xD7A3:
            if decomposed != hangul_jamo(cp):
                sys.exit("U+%X: the library does not decompose Hangul syllables algorithmically" % cp)
        elif decomposed != c:
            decompositions["%x" % cp] = hexes(decomposed)
        elif strip.normalize_str(c) == "":
            classes["nonspacingMarks"].append(cp)
        lowered = lower.normalize_str(c)
        if lowered != c:
            lowercase["%x" % cp] = hexes(lowered)
    return {
        "generator": "scripts/models/reference-fixtures.py",
        "tokenizers": tokenizers.__version__,
        "classes": {k: ranges(v) for k, v in classes.items()},
        "hangulSyllables": "ac00-d7a3 decompose algorithmically (Unicode 3.12)",
        "decompositions": decompositions,
        "lowercase": lowercase,
    }


def write(path, data, per_line_keys=()):
    """Compact JSON; the lists under per_line_keys get one line per element (readable diffs)."""
    dump = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    lists = {k: data.pop(k) for k in per_line_keys}
    text = dump(data)
    for k, rows in lists.items():
        text = text[:-1] + "%s%s:[\n%s\n]}" % ("," if text != "{}" else "", dump(k), ",\n".join(map(dump, rows)))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=os.path.join(root, ".mercato", "models", "all-minilm-l6-v2"))
    ap.add_argument("--out-dir", default=os.path.join(root, "libs", "ml", "src", "transformer", "fixtures"))
    ap.add_argument("--skip-unicode", action="store_true", help="do not rewrite bert-unicode-reference.json")
    args = ap.parse_args()
    for name in ("tokenizer.json", "model.safetensors", "modules.json"):
        if not os.path.exists(os.path.join(args.model_dir, name)):
            sys.exit("%s has no %s: stage the encoder first (npx mercato encoder install)" % (args.model_dir, name))
    torch.manual_seed(0)
    os.makedirs(args.out_dir, exist_ok=True)
    write(os.path.join(args.out_dir, "minilm-reference.json"), sentences_fixture(args.model_dir), ("sentences", "randomTexts"))
    if not args.skip_unicode:
        write(os.path.join(args.out_dir, "bert-unicode-reference.json"), unicode_fixture())


if __name__ == "__main__":
    main()
