#!/usr/bin/env python3
"""Writes Tests/Peers/minilm-tokenizer-corpus.jsonl: the lines EISTokenizerTests tokenizes with
both the Swift tokenizer and Hugging Face `tokenizers` (minilm_tokenize.py).

One JSON string per line (JSON escapes keep control characters and odd spaces visible and the
file plain UTF-8). Deterministic: the same script writes the same file. Standard library only.
"""
import json
import os
import random
import unicodedata

rng = random.Random(13)
lines = []


def add(*samples):
    lines.extend(samples)


# Plain English, mixed case, punctuation.
add("That is a happy person", "That is a happy dog", "That is a very happy person", "Today is a sunny day",
    "The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!",
    "tHe QuIcK bRoWn FoX", "Hello, world!", "Hello,world!Again?Yes...", "Don't stop believin'",
    "It's 5 o'clock somewhere; isn't it?", "\"Quoted\" and 'single-quoted' text", "(parentheses) [brackets] {braces} <angles>",
    "semi;colon:colon", "a-b_c.d,e!f?g", "tokenization", "Tokenizers are unbelievably underappreciated",
    "antidisestablishmentarianism", "pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious",
    "Sentence embeddings map text to vectors.", "How do I reset my password?", "What is the capital of France?",
    "Paris is the capital and most populous city of France.", "I can't believe it's not butter",
    "e.g. i.e. etc. vs. Mr. Mrs. Dr. St.", "U.S.A. U.K. E.U.", "rock'n'roll", "well-known state-of-the-art",
    "one  two   three    four", " leading space", "trailing space ", "   ", "", " ", "\t", "\n", "\r\n",
    "a", "A", "I", ".", "...", "!?!?", "--", "—", "'", "\"", "x", "123", "0", "ab", "###", "##", "#hashtag #another",
    "@mention @user_name", "$100 and €50 and £20 and ¥3000 and ₹500 and ₿0.1", "50% off!!!", "a+b=c", "x^2 + y^2 = z^2",
    "under_score __dunder__ snake_case_name", "camelCaseIdentifier PascalCaseName kebab-case-name SCREAMING_SNAKE")

# Accents and Latin scripts.
add("café résumé naïve façade jalapeño", "Crème brûlée à la carte", "Ångström Øresund Æsir œuvre", "Straße Fußball groß",
    "Ça va? Où est la gare?", "Smørrebrød og rødgrød med fløde", "Dvořák Škoda Čapek Žižek", "Łódź Wrocław Gdańsk źdźbło",
    "İstanbul ıspanak Iğdır şeker çiçek", "ŞEKER İÇİN IĞDIR", "Việt Nam Hà Nội Thành phố Hồ Chí Minh", "Ελληνικά: Αθήνα, Θεσσαλονίκη",
    "ΣΊΣΥΦΟΣ σίσυφος ΟΔΥΣΣΕΎΣ", "Русский язык: Москва, Санкт-Петербург", "ЁЛКА ёлка Йошкар-Ола", "Українська: Київ, Львів, ґанок",
    "Română: București, Timișoara, Iași", "Português: São Paulo, coração, ação", "Español: ¿Dónde está? ¡Olé!",
    "Íslenska: Þingvellir, Reykjavík, ð", "Malti: Għawdex, ħobż", "Eesti: Tõnu, Pärnu, šokolaad", "Maße MASSE ẞ",
    "ﬁnancial ﬂower oﬀice", "Ⅻ Ⅳ ⅷ ①②③ ⑴⑵", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "Ǆemal ǅemal ǆemal", "ǰ ΐ ΰ ﬃ ﬄ",
    "e\u0301 vs \u00e9", "n\u0303o\u0308 decomposed", "A\u030a vs \u00c5 vs \u212b", "\u1e9b\u0323", "K\u0301elvin \u212a",
    "Zalgo: Z\u0351\u0346\u0307a\u0352\u0366l\u036ag\u036bo\u0309\u0301", "combining only: \u0301\u0302\u0303",
    "\u0300starts with a mark", "ends with a mark\u0300", "Ω ohm \u2126 vs \u03a9")

# CJK, Japanese, Korean.
add("你好，世界！", "我爱北京天安门。", "中华人民共和国成立于1949年", "這是一個繁體中文句子。", "机器学习和深度学习",
    "日本語のテキストです。", "東京は日本の首都です。", "ひらがなとカタカナ", "カタカナのみ", "ｶﾀｶﾅ半角", "漢字かな交じり文",
    "すもももももももものうち", "こんにちは、世界！", "한국어 텍스트입니다.", "안녕하세요 세계", "대한민국 서울특별시",
    "한글 자모 ㄱㄴㄷ ㅏㅑㅓ", "각 conjoining jamo", "English 中文 日本語 한국어 mixed", "数字123和English混合",
    "㐀㐁㐂 extension A", "𠀀𠀁𠀂 extension B", "𪜀 extension C", "𫝀 extension D", "𫠠 extension E", "𬺰 extension F",
    "豈 更 車 compatibility", "丽 丸 compatibility supplement", "〇 ideographic zero", "々 iteration mark", "「かぎ括弧」『二重』",
    "【墨付き括弧】〈山括弧〉《二重山括弧》", "中文标点：，。？！；", "全角スペース\u3000区切り", "ＡＩ（人工知能）",
    "ﾊﾝｶｸ ｶﾅ ﾃｽﾄ", "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "⺀⺁ radicals ⼀⼁", "㈱ ㍿ ㌔ ㍻")

# Other scripts.
add("العربية: مرحبا بالعالم", "اللُّغَةُ العَرَبِيَّةُ مع التشكيل", "فارسی: سلام دنیا", "עברית: שלום עולם", "עִבְרִית עם ניקוד",
    "हिन्दी: नमस्ते दुनिया", "বাংলা: হ্যালো বিশ্ব", "தமிழ்: வணக்கம் உலகம்", "తెలుగు: హలో ప్రపంచం", "ไทย: สวัสดีชาวโลก",
    "ລາວ: ສະບາຍດີ", "ქართული: გამარჯობა", "Հայերեն: Բարեւ աշխարհ", "አማርኛ: ሰላም ልዑል", "ᐃᓄᒃᑎᑐᑦ syllabics", "ᚠᚢᚦᚨᚱᚲ runes",
    "Ꭰ Ꭱ Ꭲ Cherokee ꭰꭱ", "𐌰𐌱𐌲 Gothic", "ꦗꦮ Javanese ꦃ꧀", "ᜑᜈᜓᜂ Hanunoo ᜴", "ᠮᠣᠩᠭᠣᠯ Mongolian ᢅᢆ", "ܣܘܪܝܝܐ Syriac",
    "ދިވެހި Thaana", "ߒߞߏ N'Ko ߽", "मराठी ज्ञ क्ष", "ਪੰਜਾਬੀ ਗੁਰਮੁਖੀ", "ગુજરાતી", "ଓଡ଼ିଆ", "ಕನ್ನಡ", "മലയാളം", "සිංහල", "မြန်မာ",
    "ខ្មែរ", "བོད་ཡིག", "𑄌𑄋𑄴𑄟𑄳𑄦 Chakma", "𑇉 Sharada sign", "𑜞 Ahom", "ꦽ Javanese", "Dives Akuru 𑤸 𑤸", "\u061d Arabic end of text mark",
    "ࣔࣕ Arabic marks 9.0", "ߝ߽ N'Ko dantayalan", "\u0890 Arabic pound mark above", "᭽᭾ Balinese 14.0", "\u2e52 tironian",
    "Devanagari with U+1DFB\u1dfb and U+1DF6\u1df6 and 𝅥")

# Emoji.
add("I love it ❤️", "😀😃😄😁😆", "👍🏻👍🏼👍🏽👍🏾👍🏿", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "🇫🇷🇩🇪🇯🇵 flags", "🧑🏽‍💻 coder",
    "👩‍❤️‍💋‍👨", "🤷‍♂️🤷‍♀️", "#️⃣ 1️⃣ keycaps", "☺︎ text style ☺️ emoji style", "🥲 🫠 🫶 newer emoji", "🪿🫎 15.0 emoji",
    "🙂‍↔️ 15.1 emoji", "emoji🙂inside🙃words", "✅❌⚠️🚀🔥💯", "🐍 Python 🦀 Rust 🐹 Go 🍎 Swift", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland tag sequence",
    "☕ ⌚ ⛄ ✨ ★ ☆ ♠ ♥ ♦ ♣", "←↑→↓↔ arrows ⇒ ⇔", "Ⓐ Ⓑ 🅰 🅱 🆎")

# URLs, e-mail, code, paths.
add("https://www.example.com/path/to/page?query=1&other=two#fragment", "http://127.0.0.1:8080/v1/embeddings",
    "Visit https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 now", "ftp://files.example.org/pub/README.txt",
    "mailto:someone@example.com", "contact: jane.doe+newsletter@sub.example.co.uk", "user_name123@mail-server.example",
    "www.example.com", "example.com/a/b/c.html", "https://例え.jp/パス", "https://xn--r8jz45g.jp/", "file:///usr/local/bin/python3",
    "C:\\Users\\Admin\\Documents\\file.txt", "/etc/nginx/nginx.conf", "~/.ssh/id_ed25519.pub", "../../relative/path",
    "def add(a, b):\n    return a + b", "func encode(_ text: String) -> [Int] { return [] }", "let x = y ?? z; x!.foo?.bar()",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }", "SELECT * FROM users WHERE id = 42 AND name LIKE '%smith%';",
    "<div class=\"container\"><p>Hello</p></div>", "{\"key\": \"value\", \"list\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "key: value\n  - item1\n  - item2", "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); }",
    "git commit -m \"Fix bug #123\" && git push origin main", "curl -s -X POST -H 'Content-Type: application/json' -d '{}' localhost",
    "x => x * 2; (a, b) => a + b", "std::vector<std::string> v{\"a\", \"b\"};", "console.log(`template ${literal}`);",
    "$ echo $HOME | grep -v ~root", "a||b&&c!=d==e<=f>=g", "0x7fffffff 0b1010 0o755 1e-12 3.14159 -2.5e+10", "¯\\_(ツ)_/¯",
    "regex: ^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "UUID 123e4567-e89b-12d3-a456-426614174000", "base64: SGVsbG8gV29ybGQhIQ==", "//comment /* block */ # hash -- sql")

# Numbers, dates, math.
add("1234567890", "3.14159265358979", "1,000,000.00", "10^6", "-42", "+7", "1/2 ½ ¼ ¾", "2024-12-07T04:19:07Z",
    "07/12/2024 12:30 PM", "№ 5, §12, ¶3", "²³¹ superscripts ₀₁₂ subscripts", "∑ ∏ ∫ ∂ ∇ √ ∞ ≈ ≠ ≤ ≥ ± × ÷",
    "∀x∈ℝ: x²≥0", "α β γ δ ε ζ η θ λ μ π σ φ ω", "𝔸 𝔹 ℂ ℕ ℤ ℚ ℝ", "f(x) = ax² + bx + c", "E = mc²", "½ + ⅓ = ⅚",
    "٠١٢٣٤٥٦٧٨٩ Arabic-Indic digits", "०१२३४५६७८९ Devanagari digits", "一二三四五六七八九十百千万", "Ⅰ Ⅱ Ⅲ roman",
    "100°C = 212°F", "5′ 11″", "‰ ‱", "∅ ∈ ∉ ⊂ ⊃ ∪ ∩", "⌈x⌉ ⌊y⌋ ⟨v⟩ ‖w‖", "≡ ≢ ≅ ∝ ∴ ∵")

# Odd spaces, zero-width, control characters, replacement characters.
add("non\u00a0breaking\u00a0space", "tab\tseparated\tvalues", "line\nbreaks\nhere", "carriage\rreturn", "form\u000cfeed",
    "vertical\u000btab", "ideographic\u3000space", "en\u2002em\u2003thin\u2009hair\u200aspace", "narrow\u202fno-break",
    "math\u205fspace", "ogham\u1680space", "line\u2028separator", "paragraph\u2029separator", "next\u0085line",
    "zero\u200bwidth\u200bspace", "zero\u200cwidth\u200cnon-joiner", "zero\u200dwidth\u200djoiner", "word\u2060joiner",
    "\ufeffbyte order mark", "soft\u00adhyphen", "left\u200eto\u200fright marks", "\u202aembedding\u202c", "\u2066isolate\u2069",
    "null\u0000char", "bell\u0007char", "escape\u001b[31mred\u001b[0m", "delete\u007fchar", "c1\u0080\u009fcontrols",
    "replacement\ufffdchar", "\ufffd\ufffd\ufffd", "\u0000\u0000", "private\ue000use\uf8ff", "plane15\U000f0000private",
    "noncharacter\ufdd0\uffff", "tag\U000e0041chars\U000e007f", "variation\ufe0fselector\ufe0e", "mongolian\u180evowel",
    "arabic\u0600number sign", "interlinear\ufff9anno\ufffb", "unassigned\u0378\u0379", "unassigned\U0001fffe", "\u200b", "\u00a0",
    "\u3000\u3000", "\t\t\n\n", "\u200b\u200c\u200d\ufeff", " \u00a0 \u2003 ", "\u0301", "\u00ad", "\x01\x02\x03")

# Typed special tokens.
add("[MASK]", "[CLS]", "[SEP]", "[PAD]", "[UNK]", "Paris is the [MASK] of France.", "[CLS] already here [SEP]",
    "[mask] lowercase is not special", "[ MASK ] spaced", "[MASK][MASK][MASK]", "x[MASK]y", "[[MASK]]", "[MAS K]", "[MASKED]",
    "[SEP][CLS][PAD][UNK]", "  [MASK]  ", "[MASK]\u0301", "é[MASK]é", "[UNK] is unknown", "[Mask] mixed case",
    "the token [SEP] separates", "[CLS]", "[MA\u200bSK] zero width inside", "[\u0000MASK] NUL inside", "[ＭASK]",
    "vertical\u000btab\u000cform\u0085next joined words", "\u000b[MASK]\u000b", "[MASK]\u0301\u0327 marks after", "[MASK]" * 3 + " and text", "ＭＡＳＫ [ＭＡＳＫ]")

# Long words (around max_input_chars_per_word = 100).
for n in (98, 99, 100, 101, 102, 150, 300):
    add("a" * n, "x" * n + " tail", "Ab" * (n // 2) + "c" * (n % 2))
add("é" * 100, "é" * 101, "e\u0301" * 50, "e\u0301" * 51, "漢" * 120, "😀" * 101, "a" * 99 + "\u0301", "A" * 100 + "\u0301",
    "https://example.com/" + "verylongsegment" * 8, "word " + "z" * 101 + " word", "-".join(["a" * 100] * 3))

# Over-length lines (> 256 tokens) and lines near the limit.
words = "the of and to in is was for on that with as by at from it his an were are which this be".split()
for n in (120, 200, 250, 252, 253, 254, 255, 256, 300, 600):
    add(" ".join(rng.choice(words) for _ in range(n)))
add("word " * 254, "word " * 255, ", " * 300, "你" * 300, "[MASK] " * 300, "tokenization " * 100, "a. " * 200,
    " ".join(str(i) for i in range(400)))
# Long texts with few tokens: the Swift tokenizer works through these in chunks cut at whitespace
# and ideographs, which must not change a single id.
add(" " * 1000 + "naïve café", "\u3000" * 600 + "東京タワー [MASK]", "x\u0301 " * 200, "\t" * 700 + "end",
    "supercalifragilisticexpialidocious " * 20, "a" * 511 + " b\u0301\u0327 c", "你" * 511 + "\u0301\u0327好",
    " " * 511 + "\u0327\u0301x", "\u200b" * 900 + "zero width then words", "ok " * 170 + "e\u0301" * 3)

# Programmatic variety: random mixtures of the pieces above.
pieces = [
    "hello", "World", "café", "naïve", "東京", "你好", "한국", "русский", "العربية", "😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "[MASK]",
    "[SEP]", "https://a.b/c?d=e", "x@y.z", "42", "3.14", "∑", "√2", "\u00a0", "\u200b", "\t", "\u3000", "\u0301", "!", "?",
    "...", "—", "«", "»", "“quoted”", "‘single’", "¿", "¡", "&", "%", "$", "€", "©", "®", "™", "°", "µ", "ß", "ﬁ", "İ", "ı",
    "Σ", "ς", "ǅ", "Ⅻ", "①", "ｆｕｌｌ", "ｶﾅ", "ㄱ", "ᄀ", "\u0000", "\ufffd", "\u007f", "\u0085", "\u2028", "\ufeff", "\ue000",
    "supercalifragilistic", "unbelievable", "tokenizer", "WordPiece", "##ing", "##", "[UNK]", "\\n", "'", "\"", "`", "~", "^",
    "|", "<", ">", "{", "}", "_", "+", "=", "#", "@", "ॐ", "ก", "ש", "ڤ", "ﷺ", "ﻻ", "𝒳", "𓀀", "🀄", "♞", "♫", "☯", "⚛",
]
while len(lines) < 680:
    k = rng.randint(1, 14)
    sep = rng.choice([" ", " ", " ", "", "\u00a0", "\t", "  "])
    lines.append(sep.join(rng.choice(pieces) for _ in range(k)))

# Random scalars from many blocks, to reach what hand-written lines miss.
blocks = [(0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x370, 0x52f), (0x590, 0x6ff), (0x900, 0xdff), (0xe00, 0xfff),
          (0x1000, 0x1fff), (0x2000, 0x2bff), (0x2e00, 0x2fdf), (0x3000, 0x33ff), (0x3400, 0x4dbf), (0x4e00, 0x9fff),
          (0xa000, 0xd7ff), (0xf900, 0xffff), (0x10000, 0x1d7ff), (0x1f000, 0x1faff), (0x20000, 0x2fa1f), (0xe0000, 0xe01ef)]
while len(lines) < 800:
    chars = []
    for _ in range(rng.randint(1, 30)):
        lo, hi = rng.choice(blocks)
        cp = rng.randint(lo, hi)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        chars.append(chr(cp))
        if rng.random() < 0.3:
            chars.append(" ")
    lines.append("".join(chars))

def escaped(line):
    """JSON for `line`, UTF-8 but with invisible and line-breaking characters (controls, format
    characters, private use, unassigned, every space but U+0020) as \\u escapes."""
    out = []
    for c in json.dumps(line, ensure_ascii=False):
        category = unicodedata.category(c)
        if c != " " and (category[0] in "CZ"):
            for unit in (c.encode("utf-16-be")[i:i + 2] for i in range(0, len(c.encode("utf-16-be")), 2)):
                out.append("\\u%04x" % int.from_bytes(unit, "big"))
        else:
            out.append(c)
    return "".join(out)


path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm-tokenizer-corpus.jsonl")
with open(path, "w", encoding="utf-8", newline="\n") as out:
    for line in lines:
        out.write(escaped(line) + "\n")
print(f"wrote {len(lines)} lines to {path}")
