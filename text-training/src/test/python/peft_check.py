"""Checks vbank's PEFT exports against real transformers + PEFT, and has PEFT write adapters for vbank's import tests.

Usage: python peft_check.py BUNDLE OUT
  BUNDLE  what PeftExportPredictionsTest writes with -Dvbank.peftcheck.out=BUNDLE (base weights in fp16, config,
          tokenizer.json, token ids, vbank's exported PEFT directories, vbank's probabilities, served embeddings and
          ΔW·P per module)
  OUT     receives report.json and, under peft-fixtures/, adapters PEFT saved itself with ΔW·P for each module

No network: the BertModel is built from the config and loaded with the bundle's weights; the README's own lines are run
with AutoModel/AutoTokenizer.from_pretrained pointed at those local objects.
"""
import json
import os
import re
import sys
import warnings

import torch
import transformers
import peft
from peft import PeftModel, VBLoRAConfig, LoraConfig, get_peft_model
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

bundle, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
torch.set_grad_enabled(False)
report = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
          "adapters": {}, "fixtures": {}}

config = BertConfig.from_json_file(f"{bundle}/config.json")
base_state = {k: v.float() for k, v in load_file(f"{bundle}/base_fp16.safetensors").items()}
cases = json.load(open(f"{bundle}/cases.json"))
probes = load_file(f"{bundle}/probes.safetensors")
input_ids = torch.tensor(cases["input_ids"])
attention_mask = torch.tensor(cases["attention_mask"])


def base_model(pooler=False):
    m = BertModel(config, add_pooling_layer=pooler)
    missing, unexpected = m.load_state_dict(base_state, strict=False)
    assert not unexpected, unexpected
    assert all(k.startswith("pooler.") or "position_ids" in k for k in missing), missing
    return m.eval()


def tokenizer():
    tok = PreTrainedTokenizerFast(tokenizer_file=f"{bundle}/tokenizer.json")
    tok.pad_token, tok.cls_token, tok.sep_token, tok.unk_token = "[PAD]", "[CLS]", "[SEP]", "[UNK]"
    return tok


def rel(a, b):
    return float((a - b).norm() / b.norm().clamp(min=1e-30))


def deltas_times_probe(model, columns=None):
    out = {}
    for name, mod in model.base_model.model.named_modules():
        if isinstance(mod, BaseTunerLayer) and "default" in getattr(mod, "active_adapters", []):
            dw = mod.get_delta_weight("default").float()
            p = probes[f"probe_{dw.shape[1]}"]
            out[name] = (dw @ (p if columns is None else p[:, :columns])).contiguous()
    return out


def head_outputs(model, head_file):
    with safe_open(head_file, "pt") as f:
        w, b, meta = f.get_tensor("classifier.weight"), f.get_tensor("classifier.bias"), f.metadata()
    hidden = model(input_ids=input_ids, attention_mask=attention_mask,
                   token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
    if meta["pooling"] == "cls":
        pooled = hidden[:, 0]
    else:
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    logits = pooled @ w.T + b
    return logits, torch.softmax(logits, -1), pooled


def run_readme(adapter_dir, texts):
    """The README's python block, verbatim except for the folder and the texts, with the hub calls made local."""
    code = re.search(r"```python\n(.*?)```", open(f"{adapter_dir}/README.md").read(), re.S).group(1)
    code = code.replace('"path/to/this/folder"', repr(adapter_dir))
    code = code.replace('texts = ["an example sentence"]', f"texts = {texts!r}")
    real_model, real_tok = transformers.AutoModel.from_pretrained, transformers.AutoTokenizer.from_pretrained
    transformers.AutoModel.from_pretrained = lambda *a, **k: base_model(pooler=True)
    transformers.AutoTokenizer.from_pretrained = lambda *a, **k: tokenizer()
    try:
        scope = {}
        exec(code, scope)
        return scope
    finally:
        transformers.AutoModel.from_pretrained, transformers.AutoTokenizer.from_pretrained = real_model, real_tok


# ------------------------------------------------------------------ vbank's exports, loaded by PEFT
tok_ids = tokenizer()(cases["texts"], padding=True, truncation=True, max_length=cases["max_seq_length"],
                      return_tensors="pt")["input_ids"]
report["tokenizer_ids_equal"] = bool(tok_ids.shape == input_ids.shape and torch.equal(tok_ids, input_ids))

def check_export(name, expected):
    d = f"{bundle}/adapters/{name}"
    r = {"adapter_config": json.load(open(f"{d}/adapter_config.json"))["peft_type"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PeftModel.from_pretrained(base_model(), d).eval()
    r["load_warnings"] = [str(w.message)[:300] for w in caught if "key" in str(w.message).lower()]
    res = PeftModel.from_pretrained(base_model(), d).load_adapter(d, adapter_name="check")
    # PEFT's VB-LoRA keeps one bank and gives every adapted layer a reference to it
    # (…query.vblora_vector_bank.<adapter>); load_adapter lists those references as missing although the one saved
    # base_model.vblora_vector_bank fills them all (PEFT's own saves report the same). Counted apart from real misses.
    missing = list(res.missing_keys)  # PEFT keeps only the adapter's own keys here
    r["shared_bank_references_reported_missing"] = len([k for k in missing if ".vblora_vector_bank." in k])
    r["missing_adapter_keys"] = [k for k in missing if ".vblora_vector_bank." not in k]
    r["unexpected_keys"] = list(res.unexpected_keys)
    vbank_deltas = load_file(f"{bundle}/adapters/{name}_delta_probe.safetensors")
    peft_deltas = deltas_times_probe(model)
    r["modules_compared"] = len(vbank_deltas)
    r["modules_match"] = sorted(vbank_deltas) == sorted(peft_deltas)
    r["max_rel_delta_error"] = max(rel(peft_deltas[k], vbank_deltas[k]) for k in vbank_deltas)
    logits, probs, pooled = head_outputs(model, f"{d}/vbank_head.safetensors")
    r["max_abs_logit_error"] = float((logits - torch.tensor(expected["logits"])).abs().max())
    r["max_abs_probability_error"] = float((probs - torch.tensor(expected["probabilities"])).abs().max())
    if "embeddings" in expected:
        vbank_pooled = torch.tensor(expected["embeddings"])
        r["max_abs_embedding_error"] = float((pooled - vbank_pooled).abs().max())
        r["max_rel_embedding_error"] = max(rel(pooled[i], vbank_pooled[i]) for i in range(len(vbank_pooled)))
    scope = run_readme(d, cases["texts"])
    r["readme_max_abs_probability_error"] = float((scope["probs"] - torch.tensor(expected["probabilities"])).abs().max())
    r["peft_probabilities"] = probs.tolist()
    return r


for name, expected in cases["adapters"].items():
    try:
        report["adapters"][name] = check_export(name, expected)
    except Exception:
        import traceback
        report["adapters"][name] = {"error": traceback.format_exc()[-3000:]}

# ------------------------------------------------------------------ adapters PEFT writes itself, for vbank's import
fixtures = {
    "vblora-topk-int16-dense": VBLoRAConfig(r=4, num_vectors=300, vector_length=128, topk=3,
                                            target_modules=["query", "value", "dense"], save_only_topk_weights=True),
    "vblora-topk-uint8-qv": VBLoRAConfig(r=4, num_vectors=64, vector_length=128, topk=2,
                                         target_modules=["query", "value"], save_only_topk_weights=True),
    "vblora-full-dense": VBLoRAConfig(r=2, num_vectors=32, vector_length=64, topk=2,
                                      target_modules=["dense"], save_only_topk_weights=False),
    "lora-qv-dense": LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value", "dense"]),
}
def write_fixture(name, cfg):
    torch.manual_seed(11)
    model = get_peft_model(base_model(), cfg)
    for pname, p in model.named_parameters():
        if "vblora_vector_bank" in pname:
            p.data.normal_(0, 0.05)
        elif "vblora_logits" in pname:
            p.data.normal_(0, 1.0)
        elif "lora_A" in pname or "lora_B" in pname:
            p.data.normal_(0, 0.05)
    target = f"{out}/peft-fixtures/{name}"
    model.save_pretrained(target)
    reloaded = PeftModel.from_pretrained(base_model(), target).eval()
    save_file(deltas_times_probe(reloaded, columns=4), f"{target}/expected_delta_probe.safetensors")
    res = PeftModel.from_pretrained(base_model(), target).load_adapter(target, adapter_name="check")
    with safe_open(f"{target}/adapter_model.safetensors", "pt") as f:
        r = {k: str(f.get_slice(k).get_dtype()) for k in list(f.keys())[:3]}
    # the same load of PEFT's own save: the shared-bank references are listed as missing there too
    r["shared_bank_references_reported_missing"] = len([k for k in res.missing_keys if ".vblora_vector_bank." in k])
    r["missing_adapter_keys"] = [k for k in res.missing_keys if ".vblora_vector_bank." not in k]
    return r


for name, cfg in fixtures.items():
    try:
        report["fixtures"][name] = write_fixture(name, cfg)
    except Exception:
        import traceback
        report["fixtures"][name] = {"error": traceback.format_exc()[-3000:]}
probe4 = {k: v[:, :4].contiguous() for k, v in probes.items()}
save_file(probe4, f"{out}/peft-fixtures/probes.safetensors")

json.dump(report, open(f"{out}/report.json", "w"), indent=2)
print(json.dumps({k: v for k, v in report.items() if k != "adapters"}, indent=1))
for name, r in report["adapters"].items():
    print(name, {k: v for k, v in r.items() if k != "peft_probabilities"})
