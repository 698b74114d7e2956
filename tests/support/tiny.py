"""Builds the tiny random-weight Phi-3 the tests load through llmdesk's own loader."""

from __future__ import annotations

from pathlib import Path

SHARED_PHI3 = Path(__file__).resolve().parents[2].parent / "shared" / "phi3-mini-4k-instruct"

PHI3_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + "
    "'<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)


def small_tokenizer():
    """A byte-level BPE tokenizer with Phi-3's special tokens and chat template (used without ../shared)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "<|endoftext|>", "<|assistant|>", "<|end|>", "<|system|>", "<|user|>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["Hello, how are you? I am a small language model. The quick brown fox jumps over the lazy dog. "
              "def main():\n    print('hi')\n| a | b |\n# Heading\n- item ünïcödé 日本語 🙂"] * 20
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                   eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.chat_template = PHI3_TEMPLATE
    return fast


def build_tiny_phi3(out: Path, *, use_shared: bool | None = None, layers: int = 2, hidden: int = 64,
                    sliding_window: int | None = None) -> Path:
    """Save a tiny random Phi-3 and its tokenizer to ``out``; return ``out``. ``sliding_window``: attention window
    in tokens (Phi-3-mini has 2047), None for full attention."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Phi3Config, Phi3ForCausalLM

    if use_shared is None:
        use_shared = SHARED_PHI3.is_dir()
    if use_shared:
        tokenizer = AutoTokenizer.from_pretrained(SHARED_PHI3)
        base = Phi3Config.from_pretrained(SHARED_PHI3)
        vocab = base.vocab_size
        eos_ids = [tokenizer.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|end|>", "<|assistant|>")]
    else:
        tokenizer = small_tokenizer()
        vocab = len(tokenizer)
        eos_ids = [tokenizer.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|end|>")]
    config = Phi3Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 2,
                        num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
                        max_position_embeddings=512, original_max_position_embeddings=512,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=eos_ids[0],
                        pad_token_id=tokenizer.pad_token_id, sliding_window=sliding_window, tie_word_embeddings=False)
    torch.manual_seed(1234)
    model = Phi3ForCausalLM(config).eval()
    model.generation_config = GenerationConfig(bos_token_id=config.bos_token_id, eos_token_id=eos_ids,
                                               pad_token_id=config.pad_token_id)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
