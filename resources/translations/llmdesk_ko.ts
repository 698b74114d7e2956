<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR">
<context>
    <name></name>
    <message>
        <source>DownloadPanel</source>
        <comment>Local folder {folder} ({size}).</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DownloadPanel</source>
        <comment>{model} is in the Hugging Face cache ({size}).</comment>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>DownloadPanel</source>
        <comment>{model} is not downloaded yet: {size} to download (%n file(s)) into {folder}.</comment>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>DownloadPanel</source>
        <comment>{size} from an interrupted download will be reused.</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DownloadPanel</source>
        <comment>{done} of {total}</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DownloadPanel</source>
        <comment>{time} left</comment>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ConversationTransfer</name>
    <message>
        <source>Conversations (*.json *.jsonl *.zip);;llmdesk JSON (*.json);;JSONL (*.jsonl);;ChatGPT data export (*.zip conversations.json);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save conversations as Markdown, HTML, PDF, text, JSON or JSONL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add conversations from an llmdesk JSON export, ChatGPT&apos;s conversations.json, Open WebUI&apos;s export, or OpenAI / ShareGPT JSONL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No conversation with the id {id}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported, with a problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{path} was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing was imported.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to import.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <source>Download progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download the model into the Hugging Face cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the download; the next download continues where it stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose local folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model from a folder with config.json, tokenizer and weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for the model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading {model} into {folder}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{size} to download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Files go into the standard Hugging Face cache, shared with other tools.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What was downloaded is kept; the download continues from there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} is downloaded ({size}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model folder (with config.json)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Markdown</source>
        <extracomment>The export formats&apos; names from core&apos;s registry, for lupdate (shown through :func:`format_label`).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>llmdesk JSON (every branch, lossless)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OpenAI chat JSONL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ShareGPT JSONL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This conversation ({title})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Selected conversations ({count})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All conversations ({count})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON keeps everything (every branch and each reply&apos;s settings) and can be imported back; the others hold the messages on show.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File to write</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is nothing to export.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a file to write.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{path} is a folder; choose a file name.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FirstRunFrame</name>
    <message>
        <source>This model is not on this computer yet</source>
        <extracomment>panel states in which the frame is shown (the user has something to read or do)</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick another model: recent, already downloaded, a Hub id or a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This model is not downloaded yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading the model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline, and this model is not downloaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model cannot be found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for the model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Hub id (org/name) or a model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a local folder with config.json, tokenizer and weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent and cached models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rescan cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Look again in the Hugging Face cache ({folder})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent and downloaded models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto (best available)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In the Hugging Face cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No models yet: type a Hub id above (e.g. {model}) or choose a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimating the memory it needs…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download size {size}; the memory it needs is shown once its config is here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No memory estimate: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model folder (with config.json)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ModelPickerDialog</name>
    <message>
        <source>Choose a model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SearchResults</name>
    <message>
        <source>You</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SearchResultsView</name>
    <message>
        <source>Search results</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>engine</name>
    <message>
        <source>&apos;{model}&apos; is not in the local Hugging Face cache and the Hub ({hub}) cannot be reached: {reason}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect to the internet to download it, or choose a local model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a Hub id such as org/name, or choose a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is neither an existing folder nor a Hugging Face Hub id.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A Hub id looks like org/name; a folder must exist and hold config.json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} has no config.json and safetensors/PyTorch weights on the Hub.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick a repo that holds a transformers model (not only GGUF or ONNX files).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder {folder} does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an existing model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder {folder} has no config.json, so it is not a transformers model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder that holds config.json, the tokenizer files and the weights.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder {folder} has no tokenizer (tokenizer.json or tokenizer.model).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the tokenizer files from the model&apos;s repo into the folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder {folder} has no complete set of weights (model.safetensors, its shards, or pytorch_model.bin).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finish copying the model, or choose another folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} was downloaded but its weights are incomplete in {folder}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try the download again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hub sent no ETag for {file}, so it cannot be cached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file} is being downloaded by another program (lock {lock}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait for it to finish, then try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file}: received {actual} bytes, the Hub said {size}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try the download again; it continues from what is on disk.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file} is corrupt: its checksum does not match the Hub&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The broken file was removed; try the download again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not enough disk space: the download needs {needed}, {free} is free in {folder}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Free some space, or set HF_HOME to a folder on a larger disk.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} is not in the Hugging Face cache ({cache}) and offline mode is on (HF_HUB_OFFLINE), so it cannot be downloaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go online and unset HF_HUB_OFFLINE to download it, or choose a local model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} is a gated model: its license must be accepted before download.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept it on the model&apos;s Hub page, then log in with `hf auth login`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model} was not found on the Hugging Face Hub (or it is private).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the spelling (org/name), or log in with `hf auth login` for a private model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model}: that revision (branch, tag or commit) does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{model}: a file is missing on the Hub.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hugging Face Hub answered with an error for {model}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not reach {hub} for {model}: {error}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the network connection and try again (the download continues where it stopped), or choose a local model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write {model} to the disk: {error}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check free space and permissions of the Hugging Face cache folder (HF_HOME).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download of {model} failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download again to continue where it stopped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Out of memory while loading &apos;{model}&apos; on {device}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a smaller precision (bfloat16/float16), another device, &apos;balanced&apos; to offload to the CPU, or a smaller model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is a gated model on the Hugging Face Hub.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept its licence on the Hub and log in with `hf auth login`, or pick a local folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model &apos;{model}&apos; was not found: it is neither a local folder with a config.json nor a model id on the Hugging Face Hub.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the spelling (org/name), or choose a local folder with Browse….</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is not in the local Hugging Face cache and the Hub cannot be reached (offline).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; has no model weights or config that transformers can read ({error}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a folder saved with save_pretrained().</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device {device} cannot be used: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose another device, or Auto.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading &apos;{model}&apos; failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder &apos;{folder}&apos; does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an existing model folder, or type a Hub id such as {model}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder &apos;{folder}&apos; has no config.json, so it is not a transformers model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder that holds config.json and the weights.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is not downloaded yet, so its size in memory is not known.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download it first; its download size is shown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is a {kind} model, not a causal language model that can chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a text-generation (causal LM) model, such as an *-Instruct model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model is set.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a Hub id or choose a local folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; will not fit: {estimate}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a smaller precision, another device or &apos;balanced&apos;, or tick &quot;Load even if it may not fit&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;{model}&apos; has no chat template, so it is a base model rather than a chat model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an instruct/chat variant of the model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the configuration of {model}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading weights onto {device} in {dtype}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model is loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Out of memory while generating: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lower max new tokens, shorten the conversation, or load in a smaller precision.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generation failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device &apos;{device}&apos; is not available on this machine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Available: {devices}. Choose one of those, or Auto.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bfloat16 needs macOS 14 or newer on MPS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use float16.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no message to answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max_new_tokens ({tokens}) leaves no room for the prompt in the model&apos;s context window of {window} tokens.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set max new tokens below {window}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Needs about {needed} on {device} in {dtype} ({weights} of weights, {cache} of cache for a full context); {free} free: {verdict}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>does NOT fit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MMM d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <source>System prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Instructions sent before the conversation in every prompt. Kept when old turns are dropped to fit. Empty by default: the prompt is the conversation alone, as in the model&apos;s reference pipeline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A Hugging Face Hub id (org/name) or a local folder with config.json, tokenizer and weights.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto picks CUDA, then Apple MPS, then the CPU. &apos;balanced&apos; spreads the model over all GPUs and the CPU through accelerate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weight precision. auto: bfloat16 where the device runs it well, float16 on older GPUs and MPS, float32 otherwise. Half precision halves memory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trust remote code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run Python code shipped with the model. Off by default; Phi-3 does not need it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load even if it may not fit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load even when the estimate says the weights do not fit in the device&apos;s free memory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off: greedy, always the single most likely token (deterministic). On: draw each token at random from the filtered distribution below.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Divides the logits before sampling: below 1 sharpens the distribution (safer, more repetitive), above 1 flattens it (more varied, more mistakes).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nucleus sampling: keep the smallest set of tokens whose probabilities add up to p. 1 keeps all.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep only the k most likely tokens before sampling. 0 turns the filter off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop tokens whose probability is below min_p times the top token&apos;s. Scales with the model&apos;s confidence; 0 turns it off, 0.05-0.1 is typical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repetition penalty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Above 1 makes tokens already in the text less likely, which curbs loops; too high garbles the text. Applies to greedy decoding too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply stops after this many tokens (stop reason: length). Counts against the context window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With sampling on, the same seed, prompt and settings give the same reply. Empty: a new random reply each time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop sequences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply ends as soon as one of these strings appears; the string itself is not shown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The language of menus, buttons and messages. system: the system&apos;s language when a translation exists, else English. Dates and numbers follow it. Applies at the next start.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
