#!/usr/bin/python3
"""PyTorch-eager twin of the vbank engine's training loop, for side-by-side timing (TwinBenchmark).

It trains the same job as the engine: the same frozen encoder weights (the engine's converted safetensors file), the same
tokenized batches in the same order, the same initial adapter and head (exported by the engine from the job's seed), the
same method (VB-LoRA as PEFT composes it, module by module; or LoRA), the same AdamW groups, schedule and clipping. Only
the twin's own step loop runs here; the engine's time includes its tokenization and batching, the twin's does not.

Prints one JSON line: per-step wall times (s), losses, rows per step.
Run with Debian's python3-torch: /usr/bin/python3 vbank_twin.py --job job.json --method vblora
"""
import argparse
import json
import math
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt = np.dtype(DTYPES[e["dtype"]])
        start, end = e["data_offsets"]
        arr = np.frombuffer(data, dtype=dt, count=(end - start) // dt.itemsize, offset=8 + n + start)
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy())
    return out


class VbloraFactors:
    """A (r, in) and B (out, r) of each adapted module, composed from the shared bank: top-k of each sub-vector's logits,
    softmax over the k values, weighted sum of the picked bank rows (PEFT's VB-LoRA layout)."""

    def __init__(self, state, modules, topk):
        self.bank = torch.nn.Parameter(state["vblora_vector_bank"])
        self.logits_a = {m: torch.nn.Parameter(state[m + ".vblora_logits_A"]) for m in modules}
        self.logits_b = {m: torch.nn.Parameter(state[m + ".vblora_logits_B"]) for m in modules}
        self.topk = topk

    def compose(self, logits):
        values, indices = logits.topk(self.topk, dim=-1)
        weights = values.softmax(-1)
        return (weights.unsqueeze(-1) * self.bank[indices]).sum(-2)

    def factors(self):
        out = {}
        for m, la in self.logits_a.items():
            sa = self.compose(la)  # (r, in/b, b)
            a = sa.reshape(sa.shape[0], -1)
            sb = self.compose(self.logits_b[m])  # (out/b, r, b)
            b = sb.transpose(1, 2).reshape(-1, sb.shape[1])
            out[m] = (a, b, 1.0)
        return out

    def groups(self):
        return {"vector_bank": [self.bank], "logits": list(self.logits_a.values()) + list(self.logits_b.values())}


class LoraFactors:
    def __init__(self, state, modules, scaling):
        self.a = {m: torch.nn.Parameter(state[m + ".lora_A"]) for m in modules}
        self.b = {m: torch.nn.Parameter(state[m + ".lora_B"]) for m in modules}
        self.scaling = scaling

    def factors(self):
        return {m: (self.a[m], self.b[m], self.scaling) for m in self.a}

    def groups(self):
        return {"lora": list(self.a.values()) + list(self.b.values())}


def forward(w, enc, factors, head_w, head_b, ids, mask, types):
    hidden_size = enc["hidden"]
    heads = enc["heads"]
    d = hidden_size // heads
    eps = enc["layer_norm_eps"]
    bsz, length = ids.shape

    def linear(path, x):
        y = F.linear(x, w[path + ".weight"], w[path + ".bias"])
        f = factors.get(path)
        if f is not None:
            a, b, s = f
            down = F.linear(x, a)
            y = y + F.linear(down * s if s != 1.0 else down, b)
        return y

    def norm(prefix, x):
        return F.layer_norm(x, (hidden_size,), w[prefix + ".weight"], w[prefix + ".bias"], eps)

    tt = w["embeddings.token_type_embeddings.weight"]
    h = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
         + (tt[types] if types is not None else tt[0]))
    h = norm("embeddings.LayerNorm", h)
    mask_bias = ((1.0 - mask.float()) * -1e9).view(bsz, 1, 1, length)
    for layer in range(enc["layers"]):
        p = "encoder.layer.%d." % layer
        q = linear(p + "attention.self.query", h) * (1.0 / math.sqrt(d))
        k = linear(p + "attention.self.key", h)
        v = linear(p + "attention.self.value", h)
        qh = q.view(bsz, length, heads, d).transpose(1, 2)
        kt = k.view(bsz, length, heads, d).permute(0, 2, 3, 1)
        vh = v.view(bsz, length, heads, d).transpose(1, 2)
        probs = (qh @ kt + mask_bias).softmax(-1)
        ctx = (probs @ vh).transpose(1, 2).reshape(bsz, length, hidden_size)
        h1 = norm(p + "attention.output.LayerNorm", linear(p + "attention.output.dense", ctx) + h)
        inner = F.gelu(linear(p + "intermediate.dense", h1))
        h = norm(p + "output.LayerNorm", linear(p + "output.dense", inner) + h1)
    if enc["pooling"] == "cls":
        pooled = h[:, 0]
    else:
        m = mask.float().unsqueeze(-1)
        pooled = (h * m).sum(1) / m.sum(1).clamp_min(1e-9)
    return F.linear(pooled, head_w, head_b)


def summarize(path, top=25):
    """Self time per op name in a chrome trace: an op's duration minus that of the ops nested in it on its thread."""
    trace = json.load(open(path))
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    spans = sorted((e for e in events if e.get("ph") == "X" and "dur" in e),
                   key=lambda e: (e.get("tid"), float(e["ts"]), -float(e["dur"])))
    total, count, self_time = {}, {}, {}
    stack = []
    for e in spans:
        ts, dur = float(e["ts"]), float(e["dur"])
        while stack and (stack[-1][0] != e.get("tid") or stack[-1][1] + stack[-1][2] <= ts):
            stack.pop()
        if stack:
            parent = stack[-1][3]
            self_time[parent] = self_time.get(parent, 0.0) - dur
        name = e["name"]
        count[name] = count.get(name, 0) + 1
        total[name] = total.get(name, 0.0) + dur
        self_time[name] = self_time.get(name, 0.0) + dur
        stack.append((e.get("tid"), ts, dur, name))
    all_self = sum(v for v in self_time.values())
    print("%s: %d ops, %.1f ms self time in all" % (path, len(spans), all_self / 1e3))
    print("| op | calls | self ms | share |")
    print("|---|---:|---:|---:|")
    for name, t in sorted(self_time.items(), key=lambda kv: -kv[1])[:top]:
        print("| %s | %d | %.1f | %.1f%% |" % (name, count[name], t / 1e3, 100.0 * t / all_self))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job")
    ap.add_argument("--method")
    ap.add_argument("--profile-step", type=int, default=-1, help="record this step with PyTorch's profiler")
    ap.add_argument("--profile-out", help="chrome trace of the profiled step")
    ap.add_argument("--summarize", nargs="+", help="print the top ops of chrome traces (the engine's or the twin's)")
    args = ap.parse_args()
    if args.summarize:
        for path in args.summarize:
            summarize(path)
        return
    job = json.load(open(args.job))
    spec = job["methods"][args.method]
    torch.set_num_threads(job["threads"])
    torch.set_num_interop_threads(1)
    torch.set_grad_enabled(True)

    w = read_safetensors(job["weights"])
    batches = read_safetensors(job["batches"])
    state = read_safetensors(spec["init"])
    if spec["kind"] == "vblora":
        adapter = VbloraFactors(state, spec["modules"], spec["topk"])
    else:
        adapter = LoraFactors(state, spec["modules"], spec["scaling"])
    head_w = torch.nn.Parameter(state["classifier.weight"])
    head_b = torch.nn.Parameter(state["classifier.bias"])
    groups = dict(adapter.groups())
    groups["head"] = [head_w, head_b]
    param_groups = [{"params": ps, "lr": spec["groups"][g]["lr"], "weight_decay": spec["groups"][g]["weight_decay"]}
                    for g, ps in groups.items()]
    opt = torch.optim.AdamW(param_groups, betas=tuple(job["betas"]), eps=job["eps"])
    sched = job["schedule"]

    def factor(step):
        if step < sched["warmup"]:
            return step / max(1, sched["warmup"])
        progress = (step - sched["warmup"]) / max(1, sched["total"] - sched["warmup"])
        return max(0.0, 1.0 - progress) if sched["kind"] == "linear" else 1.0

    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    params = [p for g in groups.values() for p in g]
    times, losses, rows = [], [], []
    for step in range(job["steps"]):
        profiler = None
        if step == args.profile_step:
            profiler = torch.autograd.profiler.profile(record_shapes=True)
            profiler.__enter__()
        t0 = time.perf_counter()
        ids = batches["input_ids.%d" % step].long()
        mask = batches["attention_mask.%d" % step].long()
        types = batches.get("token_type_ids.%d" % step)
        labels = batches["labels.%d" % step].long()
        logits = forward(w, job["encoder"], adapter.factors(), head_w, head_b, ids, mask,
                         types.long() if types is not None else None)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        if job["max_grad_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(params, job["max_grad_norm"])
        opt.step()
        lr_sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
        if profiler is not None:
            profiler.__exit__(None, None, None)
            profiler.export_chrome_trace(args.profile_out)
        rows.append(int(ids.shape[0]))
    print(json.dumps({"method": args.method, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "step_seconds": times, "losses": losses, "rows": rows}))


if __name__ == "__main__":
    main()
