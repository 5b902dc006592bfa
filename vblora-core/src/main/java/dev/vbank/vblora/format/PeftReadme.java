package dev.vbank.vblora.format;

import java.util.stream.Collectors;

/** The README.md of a PEFT export: what the files are and the Python lines that reproduce vbank's outputs. */
final class PeftReadme {

    private PeftReadme() {
    }

    static String write(AdapterWeights a, PeftFormat.Target t, PeftFormat.Options opts) {
        String method = a.kind() == AdapterKind.VBLORA ? "VB-LoRA" : "LoRA";
        String mode = a.kind() != AdapterKind.VBLORA ? ""
                : opts.saveOnlyTopkWeights() ? " (saved with `save_only_topk_weights`: top-k indices and weights; "
                + "PEFT can merge and run it, not train it further)"
                : " (full logits: PEFT can run it and train it further)";
        String seq = a.provenance().getOrDefault("max_seq_length", "128");
        boolean regression = "regression".equals(a.provenance().get("task"));
        String labels = a.labels().isEmpty() ? "" : a.labels().stream().map(l -> "`" + l + "`")
                .collect(Collectors.joining(", "));
        String pooled = t.pooling().equals("cls")
                ? "pooled = hidden[:, 0]                                         # the [CLS] token's state\n"
                : "mask = batch[\"attention_mask\"].unsqueeze(-1).to(hidden.dtype)\n"
                + "pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # mean over real tokens\n";
        String outputs = regression
                ? "prediction = (pooled @ weight.T + bias).squeeze(-1)           # the regression output\n"
                : "probs = torch.softmax(pooled @ weight.T + bias, dim=-1)       # columns in the order of `labels`\n";
        StringBuilder md = new StringBuilder();
        md.append("# ").append(method).append(" adapter for `").append(t.nameOrPath()).append("`\n\n");
        md.append("Exported by vbank for Hugging Face PEFT").append(mode).append(".\n\n");
        md.append("| file | what |\n|---|---|\n");
        md.append("| `adapter_config.json`, `adapter_model.safetensors` | the ").append(method)
                .append(" adapter for the bare encoder `").append(t.modelClass()).append("` (`task_type` unset), as ")
                .append("`PeftModel.save_pretrained` writes it |\n");
        if (!a.head().isEmpty()) {
            md.append("| `vbank_head.safetensors` | vbank's head: `classifier.weight` (outputs × hidden), ")
                    .append("`classifier.bias`; its metadata holds `pooling` (`").append(t.pooling())
                    .append("`), `labels`, `text_prefix` and `max_seq_length` |\n");
        }
        md.append("\nvbank's head reads the ").append(t.pooling().equals("cls") ? "first ([CLS]) token's state"
                : "mean of the token states under the attention mask")
                .append(" of the encoder's last layer, not the pooler a `").append(t.modelClass().replace("Model", ""))
                .append("ForSequenceClassification` uses, so load the adapter into `AutoModel` and apply the head by hand:\n\n");
        md.append("```python\n");
        md.append("import json, torch\n");
        md.append("from safetensors import safe_open\n");
        md.append("from transformers import AutoModel, AutoTokenizer\n");
        md.append("from peft import PeftModel\n\n");
        md.append("adapter_dir = \"path/to/this/folder\"\n");
        md.append("tokenizer = AutoTokenizer.from_pretrained(\"").append(t.nameOrPath()).append("\")\n");
        md.append("model = PeftModel.from_pretrained(AutoModel.from_pretrained(\"").append(t.nameOrPath())
                .append("\"), adapter_dir).eval()\n");
        if (!a.head().isEmpty()) {
            md.append("with safe_open(f\"{adapter_dir}/vbank_head.safetensors\", \"pt\") as f:\n");
            md.append("    weight, bias, meta = f.get_tensor(\"classifier.weight\"), f.get_tensor(\"classifier.bias\"), f.metadata()\n");
            md.append("labels = json.loads(meta[\"labels\"])\n\n");
            md.append("texts = [\"an example sentence\"]\n");
            md.append("batch = tokenizer([meta[\"text_prefix\"] + s for s in texts], padding=True, truncation=True,\n");
            md.append("                  max_length=").append(seq).append(", return_tensors=\"pt\")\n");
            md.append("with torch.no_grad():\n");
            md.append("    hidden = model(**batch).last_hidden_state\n");
            md.append(pooled);
            md.append(outputs);
        } else {
            md.append("# this adapter has no head: model(**batch).last_hidden_state gives the adapted token states\n");
        }
        md.append("```\n\n");
        if (!labels.isEmpty()) {
            md.append("Labels, in head order: ").append(labels).append(".\n\n");
        }
        if (!t.textPrefix().isEmpty()) {
            md.append("The model card asks for the prefix `").append(t.textPrefix())
                    .append("` before every text; vbank adds it, and so do the lines above.\n\n");
        }
        md.append("vbank's own configuration, labels and provenance are in the `vbank.*` entries of ")
                .append("`adapter_model.safetensors`' metadata (PEFT ignores them); `POST /v1/adapters` imports this ")
                .append("folder, zipped, back into vbank.\n");
        return md.toString();
    }
}
