"""Hand-written transliteration tables for the scripts Kazakh names are written in.

Supporters meet a detainee's name in Kazakh Cyrillic, in Russian spelling, in
one of three official Kazakh Latin alphabets (2017, 2018, 2021) or an informal
Latin one, in the Arabic-based script Kazakhs use in Xinjiang, and in Chinese
characters. No library covers this well: general transliterators know Russian
but not the Kazakh letters (ә ғ қ ң ө ұ ү һ і), none knows the three official
Kazakh Latin alphabets or the Xinjiang Kazakh Arabic script (with its hamza
that marks a front-vowel word), and Chinese is a matter of reading characters
in pinyin (done by pypinyin, the one library used here). So each scheme is a
small table of its own, written from the published alphabet and tested letter
by letter:

- `storage.scripts.latin`: the 2017, 2018 and 2021 official Latin alphabets
  and the informal Latin of the press, both directions;
- `storage.scripts.arabic`: Kazakh Arabic script, both directions;
- `storage.scripts.chinese`: Chinese characters to pinyin.

`storage.names` turns every reading into the search key.
"""
