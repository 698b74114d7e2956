<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR">
<context>
    <name></name>
    <message>
        <source>Serve the loaded model on &amp;localhost (OpenAI API)</source>
        <translation>불러온 모델을 localhost에서 제공(&amp;L) (OpenAI API)</translation>
    </message>
    <message>
        <source>An OpenAI-compatible API at {url} for the model loaded here; requests queue with the window&apos;s own replies</source>
        <translation>여기서 불러온 모델을 위한 {url}의 OpenAI 호환 API입니다. 요청은 창의 답변과 함께 차례를 기다립니다</translation>
    </message>
    <message>
        <source>The next prompt leaves this message out to fit the model&apos;s context window</source>
        <translation>모델의 컨텍스트 창에 맞추려고 다음 프롬프트에서 이 메시지를 뺍니다</translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>토큰 %n개</numerusform>
        </translation>
    </message>
    <message>
        <source>first token {seconds} s</source>
        <translation>첫 토큰 {seconds}초</translation>
    </message>
    <message>
        <source>&amp;Remote servers…</source>
        <translation>원격 서버(&amp;R)…</translation>
    </message>
    <message>
        <source>OpenAI-compatible servers (vLLM, SGLang, llama-server, Ollama, ...) as engines</source>
        <translation>OpenAI 호환 서버(vLLM, SGLang, llama-server, Ollama 등)를 엔진으로 사용합니다</translation>
    </message>
    <message numerus="yes">
        <source>Updating the search index of %n message(s) for this version of {app}…</source>
        <translation>
            <numerusform>이 버전의 {app}에 맞게 메시지 %n개의 검색 색인을 갱신하는 중…</numerusform>
        </translation>
    </message>
    <message>
        <source>Conversations are not saved in this session.</source>
        <translation>이번 세션에서는 대화가 저장되지 않습니다.</translation>
    </message>
    <message>
        <source>Could not open the last conversation: {error}</source>
        <translation>마지막 대화를 열 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>, rank {rank}</source>
        <translation>, 순위 {rank}</translation>
    </message>
    <message>
        <source>model: {probability}</source>
        <translation>모델: {probability}</translation>
    </message>
    <message numerus="yes">
        <source> of %n tokens left</source>
        <translation>
            <numerusform> (남은 토큰 %n개 중)</numerusform>
        </translation>
    </message>
    <message>
        <source>sampled from: {probability}</source>
        <translation>샘플링 분포: {probability}</translation>
    </message>
</context>
<context>
    <name>ApiSwitch</name>
    <message>
        <source>Could not serve the model on {address}: {error}</source>
        <translation>{address}에서 모델을 제공할 수 없습니다: {error}</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>Could not create a conversation in the database: {error}</source>
        <translation>데이터베이스에 대화를 만들 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>Could not save the conversation: {error}</source>
        <translation>대화를 저장할 수 없습니다: {error}</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>대화</translation>
    </message>
    <message>
        <source>Long conversations open with their newest messages; this shows more</source>
        <translation>긴 대화는 최근 메시지부터 열립니다. 누르면 더 보여 줍니다</translation>
    </message>
    <message>
        <source>Type a message below and press Enter to send it.
Shift+Enter starts a new line; Esc stops a reply.</source>
        <translation>아래에 메시지를 입력하고 Enter를 눌러 보내세요.
Shift+Enter로 줄을 바꾸고, Esc로 답변을 멈춥니다.</translation>
    </message>
    <message numerus="yes">
        <source>Show %n earlier message(s) ({hidden} not shown)</source>
        <translation>
            <numerusform>이전 메시지 %n개 보기 (표시되지 않은 메시지 {hidden}개)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatWindow</name>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Loading progress</source>
        <translation>불러오기 진행률</translation>
    </message>
    <message>
        <source>Choose model…</source>
        <translation>모델 선택…</translation>
    </message>
    <message>
        <source>A model from the Hugging Face Hub, one already downloaded, or a folder on this computer</source>
        <translation>Hugging Face Hub의 모델, 이미 다운로드한 모델 또는 이 컴퓨터의 폴더</translation>
    </message>
    <message>
        <source>Use a local folder…</source>
        <translation>로컬 폴더 사용…</translation>
    </message>
    <message>
        <source>Load a model folder (config.json, tokenizer, weights); works offline</source>
        <translation>모델 폴더(config.json, 토크나이저, 가중치)를 불러옵니다. 오프라인에서도 됩니다</translation>
    </message>
    <message>
        <source>Loading {model}…
You can type your message now: it is sent when the model is ready.</source>
        <translation>{model} 불러오는 중…
지금 메시지를 입력해도 됩니다. 모델이 준비되면 보내집니다.</translation>
    </message>
    <message>
        <source>No model is loaded.
Choose one from the Hugging Face Hub (the default, Phi-3-mini, is a 7.6 GB download) or a model folder on this computer.</source>
        <translation>불러온 모델이 없습니다.
Hugging Face Hub에서 모델을 고르거나(기본 모델 Phi-3-mini는 7.6 GB를 다운로드합니다) 이 컴퓨터의 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>파일(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>새 대화(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>끝내기(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>보기(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Settings panel</source>
        <translation>설정 패널(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Focus message box</source>
        <translation>메시지 입력란으로 이동(&amp;F)</translation>
    </message>
    <message>
        <source>S&amp;hade tokens by probability</source>
        <translation>토큰을 확률에 따라 음영 표시(&amp;H)</translation>
    </message>
    <message>
        <source>Shade each token of the replies by how likely the model found it; hover or click a token for its alternatives</source>
        <translation>답변의 각 토큰을 모델이 매긴 확률에 따라 음영 표시합니다. 토큰 위에 마우스를 올리거나 클릭하면 다른 후보가 보입니다</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>모델(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Load model from settings</source>
        <translation>설정의 모델 불러오기(&amp;L)</translation>
    </message>
    <message>
        <source>C&amp;hoose model…</source>
        <translation>모델 선택(&amp;H)…</translation>
    </message>
    <message>
        <source>Recent, downloaded or Hub models, or a local folder; device and precision with the memory estimate</source>
        <translation>최근 모델, 다운로드한 모델, Hub 모델 또는 로컬 폴더를 고르고, 메모리 추정치를 보며 장치와 정밀도를 정합니다</translation>
    </message>
    <message>
        <source>&amp;Stop reply</source>
        <translation>답변 중지(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Regenerate last reply</source>
        <translation>마지막 답변 다시 생성(&amp;R)</translation>
    </message>
    <message>
        <source>Write another reply to your last message (the current one is kept)</source>
        <translation>마지막 메시지에 대한 다른 답변을 생성합니다(현재 답변은 유지됩니다)</translation>
    </message>
    <message>
        <source>&amp;Continue last reply</source>
        <translation>마지막 답변 이어 쓰기(&amp;C)</translation>
    </message>
    <message>
        <source>Let the model go on with a reply that stopped at the token limit</source>
        <translation>토큰 한도에서 멈춘 답변을 모델이 이어서 쓰게 합니다</translation>
    </message>
    <message>
        <source>Co&amp;mpare decoding settings…</source>
        <translation>디코딩 설정 비교(&amp;M)…</translation>
    </message>
    <message>
        <source>Answer the last message again under two decoding settings, one after the other, side by side; both answers are kept as versions</source>
        <translation>마지막 메시지에 두 가지 디코딩 설정으로 차례로 다시 답해 나란히 보여 줍니다. 두 답변 모두 버전으로 보관됩니다</translation>
    </message>
    <message>
        <source>&amp;Raw completion (no chat template)</source>
        <translation>원시 완성(&amp;R) (채팅 템플릿 없음)</translation>
    </message>
    <message>
        <source>The model continues your text as it is, as a pretrained base model would; Show the prompt shows the difference</source>
        <translation>사전 학습된 기본 모델처럼 모델이 입력한 텍스트를 그대로 이어 씁니다. 프롬프트 보기에서 차이를 볼 수 있습니다</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>도움말(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About llmdesk</source>
        <translation>llmdesk 정보(&amp;A)</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>대화</translation>
    </message>
    <message>
        <source>{dock} closed to keep room for the chat (View menu to open it)</source>
        <translation>채팅 공간을 확보하려고 {dock} 패널을 닫았습니다(보기 메뉴에서 다시 열 수 있습니다)</translation>
    </message>
    <message>
        <source>Compare needs a finished reply at the end of the chat.</source>
        <translation>비교하려면 대화 끝에 완료된 답변이 있어야 합니다.</translation>
    </message>
    <message numerus="yes">
        <source> (%n more field(s) to fix)</source>
        <translation>
            <numerusform> (고칠 항목 %n개 더)</numerusform>
        </translation>
    </message>
    <message>
        <source>Not started: the setting {label} is not valid: {reason}{more}. Fix it in the settings panel.</source>
        <translation>시작하지 않음: {label} 설정이 올바르지 않습니다: {reason}{more}. 설정 패널에서 고치세요.</translation>
    </message>
    <message>
        <source>Not sent: the setting {label} is not valid: {reason}{more}. Fix it in the settings panel.</source>
        <translation>보내지 않음: {label} 설정이 올바르지 않습니다: {reason}{more}. 설정 패널에서 고치세요.</translation>
    </message>
    <message>
        <source>Starting the engine for {model}…</source>
        <translation>{model}을(를) 위한 엔진을 시작하는 중…</translation>
    </message>
    <message>
        <source>Looking for {model}…</source>
        <translation>{model}을(를) 찾는 중…</translation>
    </message>
    <message>
        <source>llmdesk is already open here</source>
        <translation>llmdesk가 이미 열려 있습니다</translation>
    </message>
    <message>
        <source>Another launch asked for {model} on {device}</source>
        <translation>다른 실행에서 {device}의 {model}을(를) 요청했습니다</translation>
    </message>
    <message>
        <source>Could not save the settings: {error}</source>
        <translation>설정을 저장할 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>The model engine could not start: {message}</source>
        <translation>모델 엔진을 시작할 수 없습니다: {message}</translation>
    </message>
    <message>
        <source>No model (engine unavailable)</source>
        <translation>모델 없음 (엔진을 사용할 수 없음)</translation>
    </message>
    <message>
        <source>Loading {model}…</source>
        <translation>{model} 불러오는 중…</translation>
    </message>
    <message>
        <source>Loaded {model} in {seconds} s</source>
        <translation>{model}을(를) {seconds}초 만에 불러왔습니다</translation>
    </message>
    <message>
        <source>{architecture}, {parameters}M parameters, context {context} tokens, loaded in {seconds} s</source>
        <translation>{architecture}, 매개변수 {parameters}M개, 컨텍스트 {context}토큰, 불러오는 데 {seconds}초</translation>
    </message>
    <message>
        <source>Loading cancelled</source>
        <translation>불러오기 취소됨</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>Open settings</source>
        <translation>설정 열기</translation>
    </message>
    <message>
        <source>Choose a local folder…</source>
        <translation>로컬 폴더 선택…</translation>
    </message>
    <message>
        <source>The model could not be loaded: {message}</source>
        <translation>모델을 불러올 수 없습니다: {message}</translation>
    </message>
    <message>
        <source>Model not downloaded</source>
        <translation>모델이 다운로드되지 않음</translation>
    </message>
    <message>
        <source>Downloading the model…</source>
        <translation>모델을 다운로드하는 중…</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>모델 없음</translation>
    </message>
    <message>
        <source>Writing a reply…</source>
        <translation>답변을 쓰는 중…</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>완료됨</translation>
    </message>
    <message>
        <source>Reply {status}</source>
        <translation>답변 {status}</translation>
    </message>
    <message>
        <source>Link copied (links from the model are not opened): {link}</source>
        <translation>링크를 복사했습니다(모델이 쓴 링크는 열지 않습니다): {link}</translation>
    </message>
    <message>
        <source>Copied to the clipboard</source>
        <translation>클립보드에 복사했습니다</translation>
    </message>
    <message>
        <source>{size} in use</source>
        <translation>{size} 사용 중</translation>
    </message>
    <message>
        <source>(KV caches {size})</source>
        <translation>(KV 캐시 {size})</translation>
    </message>
    <message>
        <source>Model {model}, KV caches kept between turns {cache}</source>
        <translation>모델 {model}, 대화 차례 사이에 보관한 KV 캐시 {cache}</translation>
    </message>
    <message>
        <source>About {app}</source>
        <translation>{app} 정보</translation>
    </message>
    <message>
        <source>{app} {version}
Chat with a local large language model.</source>
        <translation>{app} {version}
로컬 대규모 언어 모델과 대화합니다.</translation>
    </message>
</context>
<context>
    <name>CompareDialog</name>
    <message>
        <source>Both answers are kept as versions of the reply (◀ ▶ in the chat).</source>
        <translation>두 답변 모두 답변의 버전으로 보관됩니다(채팅에서 ◀ ▶).</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>작성 중…</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message the model (Enter sends, Shift+Enter for a new line)</source>
        <translation>모델에게 메시지 보내기 (Enter로 보내기, Shift+Enter로 줄 바꿈)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>메시지</translation>
    </message>
    <message>
        <source>Write to the model; Enter sends, Shift+Enter starts a new line</source>
        <translation>모델에게 메시지를 쓰세요. Enter로 보내고 Shift+Enter로 줄을 바꿉니다</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>보내기</translation>
    </message>
    <message>
        <source>Send the message (Enter)</source>
        <translation>메시지를 보냅니다 (Enter)</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>중지</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>답변을 멈춥니다 (Esc)</translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <source>Context window use</source>
        <translation>컨텍스트 창 사용량</translation>
    </message>
    <message>
        <source>Context: counting…</source>
        <translation>컨텍스트: 세는 중…</translation>
    </message>
    <message>
        <source>Context: not counted ({reason})</source>
        <translation>컨텍스트: 세지 못함 ({reason})</translation>
    </message>
    <message>
        <source>Prompt {tokens} of {budget} tokens (context window {window} minus max new tokens {new})</source>
        <translation>프롬프트 {tokens} / {budget}토큰 (컨텍스트 창 {window} - 최대 새 토큰 {new})</translation>
    </message>
    <message>
        <source>Too long: {tokens} of {budget} tokens.</source>
        <translation>너무 깁니다: {tokens} / {budget}토큰.</translation>
    </message>
    <message numerus="yes">
        <source>; %n oldest message(s) will not be sent ({tokens} in all)</source>
        <translation>
            <numerusform>; 가장 오래된 메시지 %n개는 보내지 않습니다(전체 {tokens}토큰)</numerusform>
        </translation>
    </message>
    <message>
        <source>Counted with the model&apos;s own tokenizer and chat template: the system prompt, the shown branch and the message being typed.</source>
        <translation>모델의 토크나이저와 채팅 템플릿으로 셉니다: 시스템 프롬프트, 표시된 분기, 입력 중인 메시지.</translation>
    </message>
    <message>
        <source>Not sent: outside the context window</source>
        <translation>보내지 않음: 컨텍스트 창 밖</translation>
    </message>
</context>
<context>
    <name>ConversationCoordinator</name>
    <message>
        <source>Exported to {path}</source>
        <translation>{path}(으)로 내보냈습니다</translation>
    </message>
    <message>
        <source>That conversation no longer exists.</source>
        <translation>그 대화는 더 이상 없습니다.</translation>
    </message>
    <message>
        <source>Could not open the conversation: {error}</source>
        <translation>대화를 열 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>Could not start a conversation: {error}</source>
        <translation>대화를 시작할 수 없습니다: {error}</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message numerus="yes">
        <source>{title}
%n message(s), last active {when}</source>
        <translation>
            <numerusform>{title}
메시지 %n개, 마지막 활동 {when}</numerusform>
        </translation>
    </message>
    <message>
        <source>Could not rename the conversation: {error}</source>
        <translation>대화 이름을 바꿀 수 없습니다: {error}</translation>
    </message>
</context>
<context>
    <name>ConversationSidebar</name>
    <message>
        <source>Search all messages</source>
        <translation>모든 메시지 검색</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>새 대화를 시작합니다 (Ctrl+N)</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>대화</translation>
    </message>
    <message>
        <source>Your conversations, newest first. Enter opens, F2 renames, Delete deletes (it can be undone)</source>
        <translation>내 대화 목록(최신순). Enter로 열기, F2로 이름 바꾸기, Delete로 삭제(실행 취소 가능)</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>실행 취소</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>이름 바꾸기</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Could not delete the conversation: {error}</source>
        <translation>대화를 삭제할 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>Deleted “{title}”</source>
        <translation>“{title}”을(를) 삭제했습니다</translation>
    </message>
    <message>
        <source>Could not restore the conversation: {error}</source>
        <translation>대화를 복원할 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>Search failed: {error}</source>
        <translation>검색 실패: {error}</translation>
    </message>
    <message>
        <source>No message contains “{text}”.</source>
        <translation>“{text}”을(를) 포함한 메시지가 없습니다.</translation>
    </message>
</context>
<context>
    <name>ConversationTransfer</name>
    <message>
        <source>Conversations (*.json *.jsonl *.zip);;llmdesk JSON (*.json);;JSONL (*.jsonl);;ChatGPT data export (*.zip conversations.json);;All files (*)</source>
        <translation>대화 (*.json *.jsonl *.zip);;llmdesk JSON (*.json);;JSONL (*.jsonl);;ChatGPT 데이터 내보내기 (*.zip conversations.json);;모든 파일 (*)</translation>
    </message>
    <message>
        <source>llmdesk JSON export</source>
        <extracomment>The import formats&apos; names from core&apos;s importer, for lupdate (shown through :func:`import_format_name`).</extracomment>
        <translation>llmdesk JSON 내보내기 파일</translation>
    </message>
    <message>
        <source>OpenAI chat JSONL (fine-tuning format)</source>
        <translation>OpenAI 채팅 JSONL (파인튜닝 형식)</translation>
    </message>
    <message>
        <source>OpenAI chat examples (a JSON list)</source>
        <translation>OpenAI 채팅 예제 (JSON 목록)</translation>
    </message>
    <message>
        <source>ShareGPT JSONL</source>
        <translation>ShareGPT JSONL</translation>
    </message>
    <message>
        <source>ShareGPT (a JSON list)</source>
        <translation>ShareGPT (JSON 목록)</translation>
    </message>
    <message>
        <source>ChatGPT data export (conversations.json)</source>
        <translation>ChatGPT 데이터 내보내기 (conversations.json)</translation>
    </message>
    <message>
        <source>Open WebUI chat export</source>
        <translation>Open WebUI 채팅 내보내기 파일</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>내보내기(&amp;E)…</translation>
    </message>
    <message>
        <source>Save conversations as Markdown, HTML, PDF, text, JSON or JSONL</source>
        <translation>대화를 Markdown, HTML, PDF, 텍스트, JSON 또는 JSONL로 저장합니다</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>가져오기(&amp;I)…</translation>
    </message>
    <message>
        <source>Add conversations from an llmdesk JSON export, ChatGPT&apos;s conversations.json, Open WebUI&apos;s export, or OpenAI / ShareGPT JSONL</source>
        <translation>llmdesk JSON 내보내기 파일, ChatGPT의 conversations.json, Open WebUI 내보내기 파일 또는 OpenAI / ShareGPT JSONL에서 대화를 추가합니다</translation>
    </message>
    <message>
        <source>No conversation with the id {id}</source>
        <translation>ID가 {id}인 대화가 없습니다</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>내보내기 실패</translation>
    </message>
    <message>
        <source>Nothing was written.</source>
        <translation>아무것도 저장되지 않았습니다.</translation>
    </message>
    <message>
        <source>Exported, with a problem</source>
        <translation>내보냈지만 문제가 있습니다</translation>
    </message>
    <message>
        <source>{path} was written.</source>
        <translation>{path}에 저장했습니다.</translation>
    </message>
    <message>
        <source>Import conversations</source>
        <translation>대화 가져오기</translation>
    </message>
    <message>
        <source>Import refused</source>
        <translation>가져오기 거부됨</translation>
    </message>
    <message>
        <source>Nothing was imported.</source>
        <translation>아무것도 가져오지 않았습니다.</translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation>가져오기 실패</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>가져오기</translation>
    </message>
    <message>
        <source>Nothing to import.</source>
        <translation>가져올 대화가 없습니다.</translation>
    </message>
    <message>
        <source>Recognised: {format}.</source>
        <translation>인식한 형식: {format}.</translation>
    </message>
    <message numerus="yes">
        <source>It will add %n conversation(s)</source>
        <translation>
            <numerusform>대화 %n개를 추가합니다</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>with %n message(s).</source>
        <translation>
            <numerusform>(메시지 %n개).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of them as copies: a different version is already in the list.</source>
        <translation>
            <numerusform>그중 %n개는 사본으로 추가합니다: 다른 버전이 이미 목록에 있습니다.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conversation(s) already in the list, unchanged, will be skipped.</source>
        <translation>
            <numerusform>목록에 이미 있는 변경되지 않은 대화 %n개는 건너뜁니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>Note: {note}</source>
        <translation>참고: {note}</translation>
    </message>
    <message numerus="yes">
        <source>Imported %n conversation(s)</source>
        <translation>
            <numerusform>대화 %n개를 가져왔습니다</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>(%n as copies of ones already in the list)</source>
        <translation>
            <numerusform>(%n개는 목록에 이미 있는 대화의 사본)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; skipped %n already in the list</source>
        <translation>
            <numerusform>; 목록에 이미 있는 %n개는 건너뜀</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <source>Download progress</source>
        <translation>다운로드 진행률</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>다운로드</translation>
    </message>
    <message>
        <source>Download the model into the Hugging Face cache</source>
        <translation>모델을 Hugging Face 캐시에 다운로드합니다</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Stop the download; the next download continues where it stopped</source>
        <translation>다운로드를 중지합니다. 다음 다운로드는 중지한 지점부터 이어집니다</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>다시 확인</translation>
    </message>
    <message>
        <source>Choose local folder…</source>
        <translation>로컬 폴더 선택…</translation>
    </message>
    <message>
        <source>Load a model from a folder with config.json, tokenizer and weights</source>
        <translation>config.json, 토크나이저, 가중치가 있는 폴더에서 모델을 불러옵니다</translation>
    </message>
    <message>
        <source>Looking for the model…</source>
        <translation>모델을 찾는 중…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>연결하는 중…</translation>
    </message>
    <message>
        <source>Downloading {model} into {folder}…</source>
        <translation>{model}을(를) {folder}에 다운로드하는 중…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>취소하는 중…</translation>
    </message>
    <message>
        <source>{size} to download</source>
        <translation>다운로드할 크기 {size}</translation>
    </message>
    <message>
        <source>Files go into the standard Hugging Face cache, shared with other tools.</source>
        <translation>파일은 다른 도구와 함께 쓰는 표준 Hugging Face 캐시에 저장됩니다.</translation>
    </message>
    <message>
        <source>Download cancelled.</source>
        <translation>다운로드가 취소되었습니다.</translation>
    </message>
    <message>
        <source>What was downloaded is kept; the download continues from there.</source>
        <translation>다운로드한 부분은 보관되며, 다음 다운로드는 거기서부터 이어집니다.</translation>
    </message>
    <message>
        <source>{model} is downloaded ({size}).</source>
        <translation>{model} 다운로드 완료 ({size}).</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>완료</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>다운로드 이어 받기</translation>
    </message>
    <message>
        <source>Choose a model folder (with config.json)</source>
        <translation>모델 폴더 선택 (config.json이 있는 폴더)</translation>
    </message>
    <message>
        <source>Local folder {folder} ({size}).</source>
        <translation>로컬 폴더 {folder} ({size}).</translation>
    </message>
    <message>
        <source>{model} is in the Hugging Face cache ({size}).</source>
        <translation>{model}은(는) Hugging Face 캐시에 있습니다 ({size}).</translation>
    </message>
    <message numerus="yes">
        <source>{model} is not downloaded yet: {size} to download (%n file(s)) into {folder}.</source>
        <translation>
            <numerusform>{model}은(는) 아직 다운로드되지 않았습니다: {folder}에 {size} (파일 %n개)를 다운로드해야 합니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>{size} from an interrupted download will be reused.</source>
        <translation>중단된 다운로드의 {size}은(는) 다시 사용됩니다.</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} 남음</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Markdown</source>
        <extracomment>The export formats&apos; names from core&apos;s registry, for lupdate (shown through :func:`format_label`).</extracomment>
        <translation>Markdown</translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation>일반 텍스트</translation>
    </message>
    <message>
        <source>llmdesk JSON (every branch, lossless)</source>
        <translation>llmdesk JSON (모든 분기, 손실 없음)</translation>
    </message>
    <message>
        <source>OpenAI chat JSONL</source>
        <translation>OpenAI 채팅 JSONL</translation>
    </message>
    <message>
        <source>ShareGPT JSONL</source>
        <translation>ShareGPT JSONL</translation>
    </message>
    <message>
        <source>Export conversations</source>
        <translation>대화 내보내기</translation>
    </message>
    <message>
        <source>This conversation ({title})</source>
        <translation>현재 대화 ({title})</translation>
    </message>
    <message>
        <source>This conversation</source>
        <translation>현재 대화</translation>
    </message>
    <message>
        <source>Selected conversations ({count})</source>
        <translation>선택한 대화 ({count}개)</translation>
    </message>
    <message>
        <source>All conversations ({count})</source>
        <translation>모든 대화 ({count}개)</translation>
    </message>
    <message>
        <source>JSON keeps everything (every branch and each reply&apos;s settings) and can be imported back; the others hold the messages on show.</source>
        <translation>JSON은 모든 내용(모든 분기와 각 답변의 설정)을 보존하며 다시 가져올 수 있습니다. 다른 형식은 화면에 보이는 메시지만 담습니다.</translation>
    </message>
    <message>
        <source>File to write</source>
        <translation>저장할 파일</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>찾아보기…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>내보내기</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>형식</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>내보낼 위치</translation>
    </message>
    <message>
        <source>There is nothing to export.</source>
        <translation>내보낼 대화가 없습니다.</translation>
    </message>
    <message>
        <source>Choose a file to write.</source>
        <translation>저장할 파일을 선택하세요.</translation>
    </message>
    <message>
        <source>{path} is a folder; choose a file name.</source>
        <translation>{path}은(는) 폴더입니다. 파일 이름을 선택하세요.</translation>
    </message>
</context>
<context>
    <name>FirstRunFrame</name>
    <message>
        <source>This model is not on this computer yet</source>
        <extracomment>panel states in which the frame is shown (the user has something to read or do)</extracomment>
        <translation>이 모델은 아직 이 컴퓨터에 없습니다</translation>
    </message>
    <message>
        <source>Choose model…</source>
        <translation>모델 선택…</translation>
    </message>
    <message>
        <source>Pick another model: recent, already downloaded, a Hub id or a folder</source>
        <translation>다른 모델 선택: 최근 모델, 다운로드한 모델, Hub ID 또는 폴더</translation>
    </message>
    <message>
        <source>This model is not downloaded yet</source>
        <translation>이 모델은 아직 다운로드되지 않았습니다</translation>
    </message>
    <message>
        <source>Downloading the model</source>
        <translation>모델을 다운로드하는 중</translation>
    </message>
    <message>
        <source>Download paused</source>
        <translation>다운로드 일시 중지됨</translation>
    </message>
    <message>
        <source>Offline, and this model is not downloaded</source>
        <translation>오프라인 상태이며 이 모델은 다운로드되지 않았습니다</translation>
    </message>
    <message>
        <source>The model cannot be found</source>
        <translation>모델을 찾을 수 없습니다</translation>
    </message>
    <message>
        <source>Looking for the model</source>
        <translation>모델을 찾는 중</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
</context>
<context>
    <name>MessageRenderer</name>
    <message>
        <source>Copy this code block</source>
        <translation>이 코드 블록 복사</translation>
    </message>
    <message>
        <source>Copy code</source>
        <translation>코드 복사</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Copy this message (as Markdown) to the clipboard</source>
        <translation>이 메시지를 Markdown으로 클립보드에 복사합니다</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>작성 중…</translation>
    </message>
    <message>
        <source>Edit your message</source>
        <translation>내 메시지 편집</translation>
    </message>
    <message>
        <source>You</source>
        <translation>나</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>어시스턴트</translation>
    </message>
    <message>
        <source>Copy your message</source>
        <translation>내 메시지 복사</translation>
    </message>
    <message>
        <source>Copy the assistant message</source>
        <translation>어시스턴트 메시지 복사</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>편집</translation>
    </message>
    <message>
        <source>Edit this message and send it again (the original and its replies are kept as another version)</source>
        <translation>이 메시지를 편집해 다시 보냅니다(원래 메시지와 답변은 다른 버전으로 유지됩니다)</translation>
    </message>
    <message>
        <source>writing</source>
        <translation>작성 중</translation>
    </message>
    <message>
        <source>Your message</source>
        <translation>내 메시지</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>다시 생성</translation>
    </message>
    <message>
        <source>Write another reply to the same message (this one is kept; the arrows switch between them)</source>
        <translation>같은 메시지에 대한 다른 답변을 생성합니다(이 답변은 유지되며, 화살표로 전환합니다)</translation>
    </message>
    <message>
        <source>Regenerate this reply</source>
        <translation>이 답변 다시 생성</translation>
    </message>
    <message>
        <source>Assistant reply</source>
        <translation>어시스턴트 답변</translation>
    </message>
    <message>
        <source>Show the previous version of your message (Alt+Left)</source>
        <translation>내 메시지의 이전 버전 보기 (Alt+Left)</translation>
    </message>
    <message>
        <source>Show the previous version of this reply (Alt+Left)</source>
        <translation>이 답변의 이전 버전 보기 (Alt+Left)</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>이전 버전</translation>
    </message>
    <message>
        <source>Show the next version of your message (Alt+Right)</source>
        <translation>내 메시지의 다음 버전 보기 (Alt+Right)</translation>
    </message>
    <message>
        <source>Show the next version of this reply (Alt+Right)</source>
        <translation>이 답변의 다음 버전 보기 (Alt+Right)</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>다음 버전</translation>
    </message>
    <message>
        <source>Version {index} of {count}</source>
        <translation>{count}개 중 {index}번째 버전</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Leave the message as it was (Esc)</source>
        <translation>메시지를 원래대로 둡니다 (Esc)</translation>
    </message>
    <message>
        <source>Save &amp;&amp; send</source>
        <translation>저장 후 보내기</translation>
    </message>
    <message>
        <source>Send the edited message as a new version; the original is kept (Ctrl+Enter)</source>
        <translation>편집한 메시지를 새 버전으로 보냅니다. 원래 메시지는 유지됩니다 (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Reply status: {status}</source>
        <translation>답변 상태: {status}</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>완료됨</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Hub id (org/name) or a model folder</source>
        <translation>Hub ID(조직/이름) 또는 모델 폴더</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>폴더…</translation>
    </message>
    <message>
        <source>Choose a local folder with config.json, tokenizer and weights</source>
        <translation>config.json, 토크나이저, 가중치가 있는 로컬 폴더를 선택합니다</translation>
    </message>
    <message>
        <source>Recent and cached models</source>
        <translation>최근 모델과 캐시된 모델</translation>
    </message>
    <message>
        <source>Rescan cache</source>
        <translation>캐시 다시 검색</translation>
    </message>
    <message>
        <source>Look again in the Hugging Face cache ({folder})</source>
        <translation>Hugging Face 캐시({folder})를 다시 검색합니다</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>불러오기</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>장치</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>정밀도</translation>
    </message>
    <message>
        <source>Recent and downloaded models</source>
        <translation>최근 모델과 다운로드한 모델</translation>
    </message>
    <message>
        <source>auto (best available)</source>
        <translation>자동 (가장 좋은 장치)</translation>
    </message>
    <message>
        <source>Recent</source>
        <translation>최근</translation>
    </message>
    <message>
        <source>in cache</source>
        <translation>캐시에 있음</translation>
    </message>
    <message>
        <source>folder</source>
        <translation>폴더</translation>
    </message>
    <message>
        <source>In the Hugging Face cache</source>
        <translation>Hugging Face 캐시에 있음</translation>
    </message>
    <message>
        <source>No models yet: type a Hub id above (e.g. {model}) or choose a folder</source>
        <translation>아직 모델이 없습니다. 위에 Hub ID(예: {model})를 입력하거나 폴더를 선택하세요</translation>
    </message>
    <message>
        <source>Estimating the memory it needs…</source>
        <translation>필요한 메모리를 추정하는 중…</translation>
    </message>
    <message>
        <source>Download size {size}; the memory it needs is shown once its config is here.</source>
        <translation>다운로드 크기 {size}. 필요한 메모리는 설정 파일을 받은 뒤에 표시됩니다.</translation>
    </message>
    <message>
        <source>No memory estimate: {reason}</source>
        <translation>메모리를 추정할 수 없습니다: {reason}</translation>
    </message>
    <message>
        <source>Choose a model folder (with config.json)</source>
        <translation>모델 폴더 선택 (config.json이 있는 폴더)</translation>
    </message>
</context>
<context>
    <name>ModelPickerDialog</name>
    <message>
        <source>Choose a model</source>
        <translation>모델 선택</translation>
    </message>
</context>
<context>
    <name>PromptDialog</name>
    <message>
        <source>Building the prompt with the model&apos;s tokenizer…</source>
        <translation>모델의 토크나이저로 프롬프트를 만드는 중…</translation>
    </message>
    <message>
        <source>The prompt as text</source>
        <translation>텍스트로 본 프롬프트</translation>
    </message>
    <message>
        <source>The prompt as tokens</source>
        <translation>토큰으로 본 프롬프트</translation>
    </message>
    <message>
        <source>Copy text</source>
        <translation>텍스트 복사</translation>
    </message>
</context>
<context>
    <name>ReasoningView</name>
    <message>
        <source>Reasoning</source>
        <translation>추론 과정</translation>
    </message>
    <message>
        <source>Thinking… {seconds} s</source>
        <translation>생각하는 중… {seconds}초</translation>
    </message>
    <message>
        <source>Reasoning ({seconds} s)</source>
        <translation>추론 과정 ({seconds}초)</translation>
    </message>
    <message>
        <source>{label}: hide the reasoning</source>
        <translation>{label}: 추론 과정 숨기기</translation>
    </message>
    <message>
        <source>Click (or Space) to hide the model&apos;s reasoning</source>
        <translation>클릭하거나 Space를 누르면 모델의 추론 과정을 숨깁니다</translation>
    </message>
    <message>
        <source>{label}: show the reasoning</source>
        <translation>{label}: 추론 과정 보기</translation>
    </message>
    <message>
        <source>Click (or Space) to show the model&apos;s reasoning</source>
        <translation>클릭하거나 Space를 누르면 모델의 추론 과정을 보여 줍니다</translation>
    </message>
</context>
<context>
    <name>RemoteServersDialog</name>
    <message>
        <source>Ready</source>
        <translation>준비됨</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>연결할 수 없음</translation>
    </message>
    <message>
        <source>API key refused (401)</source>
        <translation>API 키가 거부됨 (401)</translation>
    </message>
    <message>
        <source>Not found (404): does the base URL end in /v1?</source>
        <translation>찾을 수 없음 (404): 기본 URL이 /v1로 끝나나요?</translation>
    </message>
    <message>
        <source>Model missing</source>
        <translation>모델 없음</translation>
    </message>
    <message>
        <source>No models</source>
        <translation>모델 없음</translation>
    </message>
    <message>
        <source>Not an OpenAI-compatible answer</source>
        <translation>OpenAI 호환 응답이 아님</translation>
    </message>
    <message>
        <source>Remote servers</source>
        <translation>원격 서버</translation>
    </message>
    <message>
        <source>lab vLLM</source>
        <translation>연구실 vLLM</translation>
    </message>
    <message>
        <source>http://127.0.0.1:8000/v1</source>
        <translation>http://127.0.0.1:8000/v1</translation>
    </message>
    <message>
        <source>optional; kept in the system keyring</source>
        <translation>선택 사항. 시스템 키링에 보관됩니다</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>기본 URL</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 키</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>확인</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>저장</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>제거</translation>
    </message>
    <message>
        <source>Use in this window</source>
        <translation>이 창에서 사용</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>확인하는 중…</translation>
    </message>
</context>
<context>
    <name>SearchResults</name>
    <message>
        <source>You</source>
        <translation>나</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>어시스턴트</translation>
    </message>
    <message>
        <source>System</source>
        <translation>시스템</translation>
    </message>
</context>
<context>
    <name>SearchResultsView</name>
    <message>
        <source>Search results</source>
        <translation>검색 결과</translation>
    </message>
</context>
<context>
    <name>SettingsPanel</name>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Decoding (applies to the next reply)</source>
        <translation>디코딩 (다음 답변부터 적용)</translation>
    </message>
    <message>
        <source>random</source>
        <translation>무작위</translation>
    </message>
    <message>
        <source>one per line (\n for a line break)</source>
        <translation>한 줄에 하나씩 (줄바꿈은 \n)</translation>
    </message>
    <message>
        <source>(from {low} to {high})</source>
        <translation>({low}~{high})</translation>
    </message>
    <message>
        <source>Interface</source>
        <translation>인터페이스</translation>
    </message>
    <message>
        <source>The new language is used from the next start.</source>
        <translation>새 언어는 다음에 시작할 때부터 적용됩니다.</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>시스템 프롬프트</translation>
    </message>
    <message>
        <source>None: the conversation alone is sent, as in the model&apos;s reference pipeline.</source>
        <translation>없음: 모델의 참조 파이프라인처럼 대화만 보냅니다.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>org/name or a local folder</source>
        <translation>조직/이름 또는 로컬 폴더</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>찾아보기…</translation>
    </message>
    <message>
        <source>Pick a local model folder (with config.json, tokenizer and weights)</source>
        <translation>로컬 모델 폴더를 선택합니다(config.json, 토크나이저, 가중치가 있는 폴더)</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>자동</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>불러오기</translation>
    </message>
    <message>
        <source>Cancel loading</source>
        <translation>불러오기 취소</translation>
    </message>
    <message>
        <source>Enter a Hugging Face Hub id (org/name) or pick a local folder.</source>
        <translation>Hugging Face Hub ID(조직/이름)를 입력하거나 로컬 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>No folder at {path}.</source>
        <translation>{path}에 폴더가 없습니다.</translation>
    </message>
    <message>
        <source>{path} has no config.json: pick the folder that holds the model&apos;s files.</source>
        <translation>{path}에 config.json이 없습니다. 모델 파일이 있는 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>{device}: {size} free</source>
        <translation>{device}: {size} 사용 가능</translation>
    </message>
    <message>
        <source>{device} (not found)</source>
        <translation>{device} (찾을 수 없음)</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>다시 불러오기</translation>
    </message>
    <message>
        <source>Changed: press Load to apply (the current model stays until then).</source>
        <translation>변경됨: 불러오기를 눌러 적용하세요(그때까지 현재 모델을 유지합니다).</translation>
    </message>
</context>
<context>
    <name>TokenControls</name>
    <message>
        <source>Tokens</source>
        <translation>토큰</translation>
    </message>
    <message>
        <source>Shade this reply&apos;s tokens by their probability (hover or click a token for its alternatives)</source>
        <translation>이 답변의 토큰을 확률에 따라 음영 표시합니다(토큰 위에 마우스를 올리거나 클릭하면 다른 후보가 보입니다)</translation>
    </message>
    <message>
        <source>Shade tokens by probability</source>
        <translation>토큰을 확률에 따라 음영 표시</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>프롬프트</translation>
    </message>
    <message>
        <source>Show the prompt: the exact text and tokens the model received for this reply</source>
        <translation>프롬프트 보기: 이 답변을 위해 모델이 받은 정확한 텍스트와 토큰</translation>
    </message>
    <message>
        <source>Show the prompt of this reply</source>
        <translation>이 답변의 프롬프트 보기</translation>
    </message>
</context>
<context>
    <name>TokenPopup</name>
    <message>
        <source>The token the reply has here</source>
        <translation>이 위치에서 답변이 고른 토큰</translation>
    </message>
    <message>
        <source>Continue with this</source>
        <translation>이 토큰으로 이어 쓰기</translation>
    </message>
    <message>
        <source>Continue from here with this token: a new version of the reply (◀ ▶ to switch)</source>
        <translation>이 토큰으로 여기서부터 이어 씁니다: 답변의 새 버전이 됩니다(◀ ▶로 전환)</translation>
    </message>
    <message>
        <source>Continue from here with {token}</source>
        <translation>여기서부터 {token}(으)로 이어 쓰기</translation>
    </message>
    <message>
        <source>Model: the raw distribution (softmax of the logits). Sampled from: after repetition penalty, temperature, top-k, top-p and min-p.</source>
        <translation>모델: 원래 분포(로짓의 소프트맥스). 샘플링 대상: 반복 페널티, 온도, top-k, top-p, min-p를 적용한 뒤의 분포.</translation>
    </message>
</context>
<context>
    <name>TokenReplyView</name>
    <message>
        <source>Reply shaded by token probability</source>
        <translation>토큰 확률에 따라 음영 표시한 답변</translation>
    </message>
    <message>
        <source>Click for the alternatives.</source>
        <translation>클릭하면 다른 후보가 보입니다.</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <source>Stopped at the token limit</source>
        <extracomment>Texts from :mod:`llmdesk.core` the window shows: stop reasons, and what the settings loader says about a bad settings file (shown in the banner at start).</extracomment>
        <translation>토큰 한도에서 멈춤</translation>
    </message>
    <message>
        <source>Ended at a stop sequence</source>
        <translation>중지 문자열에서 끝남</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>중지됨</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>The settings file {path} cannot be checked ({error}); using the defaults for this session.</source>
        <translation>설정 파일 {path}을(를) 확인할 수 없습니다({error}). 이번 세션에서는 기본값을 사용합니다.</translation>
    </message>
    <message>
        <source>The settings file {path} could not be read ({reason}). It was moved to {name} and the defaults are in use.</source>
        <translation>설정 파일 {path}을(를) 읽을 수 없습니다({reason}). 파일을 {name}(으)로 옮기고 기본값을 사용합니다.</translation>
    </message>
    <message>
        <source>Some settings in {path} were not valid; those use their defaults, the others were kept. The original file was moved to {name}:</source>
        <translation>{path}의 일부 설정이 올바르지 않아 해당 설정은 기본값을 쓰고 나머지는 유지했습니다. 원래 파일은 {name}(으)로 옮겼습니다:</translation>
    </message>
    <message>
        <source>(a fresh settings file could not be written: {error})</source>
        <translation>(새 설정 파일을 쓸 수 없습니다: {error})</translation>
    </message>
    <message>
        <source>{field}: unknown setting, ignored</source>
        <translation>{field}: 알 수 없는 설정이라 무시함</translation>
    </message>
    <message>
        <source>{field}: a decoding setting outside a valid decoding section, ignored</source>
        <translation>{field}: 올바른 디코딩 섹션 밖에 있는 디코딩 설정이라 무시함</translation>
    </message>
    <message>
        <source>{error} (using the default)</source>
        <translation>{error} (기본값 사용)</translation>
    </message>
    <message>
        <source>{field}: must be from {low} to {high}, not {value}</source>
        <translation>{field}: {low}에서 {high} 사이여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: must be a number from {low} to {high}, not {value}</source>
        <translation>{field}: {low}에서 {high} 사이의 숫자여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: must be a whole number from {low} to {high}, not {value}</source>
        <translation>{field}: {low}에서 {high} 사이의 정수여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: must be true or false, not {value}</source>
        <translation>{field}: true 또는 false여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: must be text, not {value}</source>
        <translation>{field}: 텍스트여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: must be one of {choices}, not {value}</source>
        <translation>{field}: {choices} 중 하나여야 합니다({value}은(는) 안 됨)</translation>
    </message>
    <message>
        <source>{field}: a value is required</source>
        <translation>{field}: 값이 필요합니다</translation>
    </message>
    <message>
        <source>{field}: must be a number from {low} to {high}</source>
        <translation>{field}: {low}에서 {high} 사이의 숫자여야 합니다</translation>
    </message>
    <message>
        <source>{field}: must be a whole number from {low} to {high}</source>
        <translation>{field}: {low}에서 {high} 사이의 정수여야 합니다</translation>
    </message>
</context>
<context>
    <name>engine</name>
    <message>
        <source>&apos;{model}&apos; is not in the local Hugging Face cache and the Hub ({hub}) cannot be reached: {reason}.</source>
        <translation>&apos;{model}&apos;이(가) 로컬 Hugging Face 캐시에 없고 Hub({hub})에 연결할 수 없습니다: {reason}.</translation>
    </message>
    <message>
        <source>Connect to the internet to download it, or choose a local model folder.</source>
        <translation>인터넷에 연결해 다운로드하거나 로컬 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>No model given.</source>
        <translation>모델이 지정되지 않았습니다.</translation>
    </message>
    <message>
        <source>Type a Hub id such as org/name, or choose a folder.</source>
        <translation>조직/이름 형식의 Hub ID를 입력하거나 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is neither an existing folder nor a Hugging Face Hub id.</source>
        <translation>&apos;{model}&apos;은(는) 존재하는 폴더도 아니고 Hugging Face Hub ID도 아닙니다.</translation>
    </message>
    <message>
        <source>A Hub id looks like org/name; a folder must exist and hold config.json.</source>
        <translation>Hub ID는 조직/이름 형식입니다. 폴더는 존재해야 하며 config.json이 있어야 합니다.</translation>
    </message>
    <message>
        <source>{model} has no config.json and safetensors/PyTorch weights on the Hub.</source>
        <translation>{model}에는 Hub에 config.json과 safetensors/PyTorch 가중치가 없습니다.</translation>
    </message>
    <message>
        <source>Pick a repo that holds a transformers model (not only GGUF or ONNX files).</source>
        <translation>transformers 모델이 있는 저장소를 선택하세요(GGUF나 ONNX 파일만 있는 저장소는 안 됩니다).</translation>
    </message>
    <message>
        <source>The folder {folder} does not exist.</source>
        <translation>{folder} 폴더가 없습니다.</translation>
    </message>
    <message>
        <source>Choose an existing model folder.</source>
        <translation>존재하는 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>The folder {folder} has no config.json, so it is not a transformers model.</source>
        <translation>{folder} 폴더에 config.json이 없으므로 transformers 모델이 아닙니다.</translation>
    </message>
    <message>
        <source>Choose the folder that holds config.json, the tokenizer files and the weights.</source>
        <translation>config.json, 토크나이저 파일, 가중치가 있는 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>The folder {folder} has no tokenizer (tokenizer.json or tokenizer.model).</source>
        <translation>{folder} 폴더에 토크나이저(tokenizer.json 또는 tokenizer.model)가 없습니다.</translation>
    </message>
    <message>
        <source>Copy the tokenizer files from the model&apos;s repo into the folder.</source>
        <translation>모델 저장소의 토크나이저 파일을 폴더에 복사하세요.</translation>
    </message>
    <message>
        <source>The folder {folder} has no complete set of weights (model.safetensors, its shards, or pytorch_model.bin).</source>
        <translation>{folder} 폴더에 완전한 가중치(model.safetensors, 그 분할 파일 또는 pytorch_model.bin)가 없습니다.</translation>
    </message>
    <message>
        <source>Finish copying the model, or choose another folder.</source>
        <translation>모델 복사를 마치거나 다른 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>{model} was downloaded but its weights are incomplete in {folder}.</source>
        <translation>{model}을(를) 다운로드했지만 {folder}의 가중치가 불완전합니다.</translation>
    </message>
    <message>
        <source>Try the download again.</source>
        <translation>다시 다운로드해 보세요.</translation>
    </message>
    <message>
        <source>The Hub sent no ETag for {file}, so it cannot be cached.</source>
        <translation>Hub가 {file}의 ETag를 보내지 않아 캐시에 저장할 수 없습니다.</translation>
    </message>
    <message>
        <source>{file} is being downloaded by another program (lock {lock}).</source>
        <translation>다른 프로그램이 {file}을(를) 다운로드하고 있습니다(잠금 {lock}).</translation>
    </message>
    <message>
        <source>Wait for it to finish, then try again.</source>
        <translation>끝날 때까지 기다린 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>{file}: received {actual} bytes, the Hub said {size}.</source>
        <translation>{file}: {actual}바이트를 받았지만 Hub가 알려 준 크기는 {size}입니다.</translation>
    </message>
    <message>
        <source>Try the download again; it continues from what is on disk.</source>
        <translation>다시 다운로드해 보세요. 디스크에 있는 부분부터 이어집니다.</translation>
    </message>
    <message>
        <source>{file} is corrupt: its checksum does not match the Hub&apos;s.</source>
        <translation>{file}이(가) 손상되었습니다: 체크섬이 Hub의 값과 다릅니다.</translation>
    </message>
    <message>
        <source>The broken file was removed; try the download again.</source>
        <translation>손상된 파일을 지웠습니다. 다시 다운로드해 보세요.</translation>
    </message>
    <message>
        <source>Not enough disk space: the download needs {needed}, {free} is free in {folder}.</source>
        <translation>디스크 공간이 부족합니다: 다운로드에 {needed}이(가) 필요하지만 {folder}에 남은 공간은 {free}입니다.</translation>
    </message>
    <message>
        <source>Free some space, or set HF_HOME to a folder on a larger disk.</source>
        <translation>공간을 확보하거나 HF_HOME을 더 큰 디스크의 폴더로 설정하세요.</translation>
    </message>
    <message>
        <source>{model} is not in the Hugging Face cache ({cache}) and offline mode is on (HF_HUB_OFFLINE), so it cannot be downloaded.</source>
        <translation>{model}이(가) Hugging Face 캐시({cache})에 없고 오프라인 모드(HF_HUB_OFFLINE)가 켜져 있어 다운로드할 수 없습니다.</translation>
    </message>
    <message>
        <source>Go online and unset HF_HUB_OFFLINE to download it, or choose a local model folder.</source>
        <translation>온라인에 연결하고 HF_HUB_OFFLINE을 해제해 다운로드하거나 로컬 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>{model} is a gated model: its license must be accepted before download.</source>
        <translation>{model}은(는) 접근이 제한된 모델입니다: 다운로드하기 전에 라이선스에 동의해야 합니다.</translation>
    </message>
    <message>
        <source>Accept it on the model&apos;s Hub page, then log in with `hf auth login`.</source>
        <translation>모델의 Hub 페이지에서 동의한 뒤 `hf auth login`으로 로그인하세요.</translation>
    </message>
    <message>
        <source>{model} was not found on the Hugging Face Hub (or it is private).</source>
        <translation>Hugging Face Hub에서 {model}을(를) 찾을 수 없습니다(비공개 모델일 수 있습니다).</translation>
    </message>
    <message>
        <source>Check the spelling (org/name), or log in with `hf auth login` for a private model.</source>
        <translation>철자(조직/이름)를 확인하거나, 비공개 모델이면 `hf auth login`으로 로그인하세요.</translation>
    </message>
    <message>
        <source>{model}: that revision (branch, tag or commit) does not exist.</source>
        <translation>{model}: 해당 리비전(브랜치, 태그 또는 커밋)이 없습니다.</translation>
    </message>
    <message>
        <source>{model}: a file is missing on the Hub.</source>
        <translation>{model}: Hub에 파일이 없습니다.</translation>
    </message>
    <message>
        <source>The Hugging Face Hub answered with an error for {model}: {error}</source>
        <translation>Hugging Face Hub가 {model}에 대해 오류를 반환했습니다: {error}</translation>
    </message>
    <message>
        <source>Try again later.</source>
        <translation>나중에 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Could not reach {hub} for {model}: {error}.</source>
        <translation>{model}을(를) 위해 {hub}에 연결할 수 없습니다: {error}.</translation>
    </message>
    <message>
        <source>Check the network connection and try again (the download continues where it stopped), or choose a local model folder.</source>
        <translation>네트워크 연결을 확인하고 다시 시도하거나(다운로드는 중지된 지점부터 이어집니다) 로컬 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Could not write {model} to the disk: {error}.</source>
        <translation>{model}을(를) 디스크에 쓸 수 없습니다: {error}.</translation>
    </message>
    <message>
        <source>Check free space and permissions of the Hugging Face cache folder (HF_HOME).</source>
        <translation>Hugging Face 캐시 폴더(HF_HOME)의 남은 공간과 권한을 확인하세요.</translation>
    </message>
    <message>
        <source>Download of {model} failed: {error}</source>
        <translation>{model} 다운로드 실패: {error}</translation>
    </message>
    <message>
        <source>Download again to continue where it stopped.</source>
        <translation>다시 다운로드하면 중지한 지점부터 이어집니다.</translation>
    </message>
    <message>
        <source>Out of memory while loading &apos;{model}&apos; on {device}.</source>
        <translation>{device}에서 &apos;{model}&apos;을(를) 불러오는 중 메모리가 부족합니다.</translation>
    </message>
    <message>
        <source>Choose a smaller precision (bfloat16/float16), another device, &apos;balanced&apos; to offload to the CPU, or a smaller model.</source>
        <translation>더 낮은 정밀도(bfloat16/float16), 다른 장치, CPU로 분산하는 &apos;balanced&apos; 또는 더 작은 모델을 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is a gated model on the Hugging Face Hub.</source>
        <translation>&apos;{model}&apos;은(는) Hugging Face Hub에서 접근이 제한된 모델입니다.</translation>
    </message>
    <message>
        <source>Accept its licence on the Hub and log in with `hf auth login`, or pick a local folder.</source>
        <translation>Hub에서 라이선스에 동의하고 `hf auth login`으로 로그인하거나 로컬 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Model &apos;{model}&apos; was not found: it is neither a local folder with a config.json nor a model id on the Hugging Face Hub.</source>
        <translation>모델 &apos;{model}&apos;을(를) 찾을 수 없습니다: config.json이 있는 로컬 폴더도, Hugging Face Hub의 모델 ID도 아닙니다.</translation>
    </message>
    <message>
        <source>Check the spelling (org/name), or choose a local folder with Browse….</source>
        <translation>철자(조직/이름)를 확인하거나 찾아보기…로 로컬 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is not in the local Hugging Face cache and the Hub cannot be reached (offline).</source>
        <translation>&apos;{model}&apos;이(가) 로컬 Hugging Face 캐시에 없고 Hub에 연결할 수 없습니다(오프라인).</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; has no model weights or config that transformers can read ({error}).</source>
        <translation>&apos;{model}&apos;에 transformers가 읽을 수 있는 모델 가중치나 설정이 없습니다({error}).</translation>
    </message>
    <message>
        <source>Choose a folder saved with save_pretrained().</source>
        <translation>save_pretrained()로 저장한 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Device {device} cannot be used: {error}</source>
        <translation>{device} 장치를 사용할 수 없습니다: {error}</translation>
    </message>
    <message>
        <source>Choose another device, or Auto.</source>
        <translation>다른 장치나 자동을 선택하세요.</translation>
    </message>
    <message>
        <source>Loading &apos;{model}&apos; failed: {error}</source>
        <translation>&apos;{model}&apos; 불러오기 실패: {error}</translation>
    </message>
    <message>
        <source>The folder &apos;{folder}&apos; does not exist.</source>
        <translation>&apos;{folder}&apos; 폴더가 없습니다.</translation>
    </message>
    <message>
        <source>Choose an existing model folder, or type a Hub id such as {model}.</source>
        <translation>존재하는 모델 폴더를 선택하거나 {model} 같은 Hub ID를 입력하세요.</translation>
    </message>
    <message>
        <source>The folder &apos;{folder}&apos; has no config.json, so it is not a transformers model folder.</source>
        <translation>&apos;{folder}&apos; 폴더에 config.json이 없으므로 transformers 모델 폴더가 아닙니다.</translation>
    </message>
    <message>
        <source>Choose the folder that holds config.json and the weights.</source>
        <translation>config.json과 가중치가 있는 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is not downloaded yet, so its size in memory is not known.</source>
        <translation>&apos;{model}&apos;은(는) 아직 다운로드되지 않아 필요한 메모리 크기를 알 수 없습니다.</translation>
    </message>
    <message>
        <source>Download it first; its download size is shown.</source>
        <translation>먼저 다운로드하세요. 다운로드 크기는 표시되어 있습니다.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; is a {kind} model, not a causal language model that can chat.</source>
        <translation>&apos;{model}&apos;은(는) {kind} 모델로, 대화할 수 있는 인과 언어 모델이 아닙니다.</translation>
    </message>
    <message>
        <source>Choose a text-generation (causal LM) model, such as an *-Instruct model.</source>
        <translation>*-Instruct 모델 같은 텍스트 생성(인과 LM) 모델을 선택하세요.</translation>
    </message>
    <message>
        <source>Loading was cancelled.</source>
        <translation>불러오기가 취소되었습니다.</translation>
    </message>
    <message>
        <source>No model is set.</source>
        <translation>모델이 설정되지 않았습니다.</translation>
    </message>
    <message>
        <source>Type a Hub id or choose a local folder.</source>
        <translation>Hub ID를 입력하거나 로컬 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; will not fit: {estimate}</source>
        <translation>&apos;{model}&apos;은(는) 메모리에 들어가지 않습니다: {estimate}</translation>
    </message>
    <message>
        <source>Choose a smaller precision, another device or &apos;balanced&apos;, or tick &quot;Load even if it may not fit&quot;.</source>
        <translation>더 낮은 정밀도, 다른 장치 또는 &apos;balanced&apos;를 선택하거나 &quot;메모리가 부족해도 불러오기&quot;를 선택하세요.</translation>
    </message>
    <message>
        <source>&apos;{model}&apos; has no chat template, so it is a base model rather than a chat model.</source>
        <translation>&apos;{model}&apos;에는 채팅 템플릿이 없으므로 채팅 모델이 아닌 기본 모델입니다.</translation>
    </message>
    <message>
        <source>Choose an instruct/chat variant of the model.</source>
        <translation>모델의 instruct/chat 버전을 선택하세요.</translation>
    </message>
    <message>
        <source>Reading the configuration of {model}</source>
        <translation>{model}의 설정을 읽는 중</translation>
    </message>
    <message>
        <source>Loading weights onto {device} in {dtype}</source>
        <translation>{device}에 {dtype} 가중치를 불러오는 중</translation>
    </message>
    <message>
        <source>No model is loaded.</source>
        <translation>불러온 모델이 없습니다.</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>먼저 모델을 불러오세요.</translation>
    </message>
    <message>
        <source>Out of memory while generating: {error}</source>
        <translation>생성 중 메모리 부족: {error}</translation>
    </message>
    <message>
        <source>Lower max new tokens, shorten the conversation, or load in a smaller precision.</source>
        <translation>최대 새 토큰 수를 줄이거나, 대화를 줄이거나, 더 낮은 정밀도로 불러오세요.</translation>
    </message>
    <message>
        <source>Generation failed: {error}</source>
        <translation>생성 실패: {error}</translation>
    </message>
    <message>
        <source>Device &apos;{device}&apos; is not available on this machine.</source>
        <translation>이 컴퓨터에서는 &apos;{device}&apos; 장치를 사용할 수 없습니다.</translation>
    </message>
    <message>
        <source>Available: {devices}. Choose one of those, or Auto.</source>
        <translation>사용 가능: {devices}. 이 중 하나나 자동을 선택하세요.</translation>
    </message>
    <message>
        <source>bfloat16 needs macOS 14 or newer on MPS.</source>
        <translation>MPS에서 bfloat16을 쓰려면 macOS 14 이상이 필요합니다.</translation>
    </message>
    <message>
        <source>Use float16.</source>
        <translation>float16을 사용하세요.</translation>
    </message>
    <message>
        <source>There is no message to answer.</source>
        <translation>답할 메시지가 없습니다.</translation>
    </message>
    <message>
        <source>max_new_tokens ({tokens}) leaves no room for the prompt in the model&apos;s context window of {window} tokens.</source>
        <translation>max_new_tokens({tokens})가 모델의 컨텍스트 창 {window}토큰에 프롬프트가 들어갈 자리를 남기지 않습니다.</translation>
    </message>
    <message>
        <source>Set max new tokens below {window}.</source>
        <translation>최대 새 토큰 수를 {window}보다 작게 설정하세요.</translation>
    </message>
    <message>
        <source>Needs about {needed} on {device} in {dtype} ({weights} of weights, {cache} of cache for a full context); {free} free: {verdict}.</source>
        <translation>{device}에서 {dtype}로 약 {needed} 필요(가중치 {weights}, 전체 컨텍스트 캐시 {cache}). 남은 메모리 {free}: {verdict}.</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>충분함</translation>
    </message>
    <message>
        <source>does NOT fit</source>
        <translation>부족함</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>알 수 없음</translation>
    </message>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>예기치 않은 오류: {error}</translation>
    </message>
    <message>
        <source>Loading stopped unexpectedly.</source>
        <translation>불러오기가 예기치 않게 멈췄습니다.</translation>
    </message>
    <message>
        <source>The reply stopped unexpectedly.</source>
        <translation>답변이 예기치 않게 멈췄습니다.</translation>
    </message>
    <message>
        <source>This engine has no raw completion.</source>
        <translation>이 엔진은 원시 완성을 지원하지 않습니다.</translation>
    </message>
    <message>
        <source>This engine cannot continue from a chosen token.</source>
        <translation>이 엔진은 선택한 토큰부터 이어 쓸 수 없습니다.</translation>
    </message>
    <message>
        <source>No memory estimate: {message}</source>
        <translation>메모리를 추정할 수 없습니다: {message}</translation>
    </message>
    <message>
        <source>The model engine is not available.</source>
        <translation>모델 엔진을 사용할 수 없습니다.</translation>
    </message>
    <message>
        <source>Check that torch and transformers are installed, then restart llmdesk.</source>
        <translation>torch와 transformers가 설치되어 있는지 확인한 뒤 llmdesk를 다시 시작하세요.</translation>
    </message>
    <message>
        <source>No model is loaded in the window.</source>
        <translation>창에 불러온 모델이 없습니다.</translation>
    </message>
    <message>
        <source>The model thread is not running.</source>
        <translation>모델 스레드가 실행되고 있지 않습니다.</translation>
    </message>
    <message>
        <source>This reply has no saved tokens to continue from.</source>
        <translation>이 답변에는 이어 쓸 저장된 토큰이 없습니다.</translation>
    </message>
    <message>
        <source>the model&apos;s tokenizer is not on this machine yet</source>
        <translation>모델의 토크나이저가 아직 이 컴퓨터에 없습니다</translation>
    </message>
    <message>
        <source>reading the configuration</source>
        <extracomment>The engine&apos;s load stages as the progress bar names them.</extracomment>
        <translation>설정 읽는 중</translation>
    </message>
    <message>
        <source>downloading</source>
        <translation>다운로드 중</translation>
    </message>
    <message>
        <source>loading weights</source>
        <translation>가중치 불러오는 중</translation>
    </message>
    <message>
        <source>loading the tokenizer</source>
        <translation>토크나이저 불러오는 중</translation>
    </message>
    <message>
        <source>quantizing</source>
        <translation>양자화 중</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>준비됨</translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <source>System language</source>
        <translation>시스템 언어</translation>
    </message>
    <message>
        <source>MMM d</source>
        <translation>M월 d일</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s}초</translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation>{m}분 {s}초</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h}시간 {m}분</translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <source>System prompt</source>
        <translation>시스템 프롬프트</translation>
    </message>
    <message>
        <source>Instructions sent before the conversation in every prompt. Kept when old turns are dropped to fit. Empty by default: the prompt is the conversation alone, as in the model&apos;s reference pipeline.</source>
        <translation>모든 프롬프트에서 대화 앞에 보내는 지시문입니다. 길이에 맞추려고 오래된 대화를 뺄 때도 유지됩니다. 기본값은 비어 있으며, 이때 프롬프트는 모델의 참조 파이프라인처럼 대화만으로 이루어집니다.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>A Hugging Face Hub id (org/name) or a local folder with config.json, tokenizer and weights.</source>
        <translation>Hugging Face Hub ID(조직/이름) 또는 config.json, 토크나이저, 가중치가 있는 로컬 폴더입니다.</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>장치</translation>
    </message>
    <message>
        <source>auto picks CUDA, then Apple MPS, then the CPU. &apos;balanced&apos; spreads the model over all GPUs and the CPU through accelerate.</source>
        <translation>auto는 CUDA, Apple MPS, CPU 순으로 고릅니다. &apos;balanced&apos;는 accelerate로 모델을 모든 GPU와 CPU에 나눕니다.</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>정밀도</translation>
    </message>
    <message>
        <source>Weight precision. auto: bfloat16 where the device runs it well, float16 on older GPUs and MPS, float32 otherwise. Half precision halves memory. int8 and int4 (CPU and CUDA) store the weights in 8 or 4 bits and compute in bfloat16 (see each choice&apos;s tooltip for its cost and saving). The first int8/int4 load quantizes the model; the result is kept in the cache folder so later loads are quick.</source>
        <translation>가중치 정밀도입니다. auto: 장치가 잘 지원하면 bfloat16, 오래된 GPU와 MPS에서는 float16, 그 밖에는 float32. 반정밀도는 메모리를 절반으로 줄입니다. int8과 int4(CPU와 CUDA)는 가중치를 8비트나 4비트로 저장하고 bfloat16으로 계산합니다(각 선택지의 도움말에서 비용과 절감 효과를 보세요). int8/int4로 처음 불러올 때 모델을 양자화하며, 결과는 캐시 폴더에 보관되어 다음부터는 빨리 불러옵니다.</translation>
    </message>
    <message>
        <source>Compile decoding (CUDA)</source>
        <translation>디코딩 컴파일 (CUDA)</translation>
    </message>
    <message>
        <source>CUDA only: a static KV cache and torch.compile of the decode step. The first reply waits for the compilation (a minute or more); later tokens come faster. Ignored with a note on other devices.</source>
        <translation>CUDA 전용: 정적 KV 캐시와 디코딩 단계의 torch.compile을 씁니다. 첫 답변은 컴파일을 기다리고(1분 이상), 이후 토큰은 더 빨리 나옵니다. 다른 장치에서는 안내와 함께 무시됩니다.</translation>
    </message>
    <message>
        <source>Trust remote code</source>
        <translation>원격 코드 신뢰</translation>
    </message>
    <message>
        <source>Run Python code shipped with the model. Off by default; Phi-3 does not need it.</source>
        <translation>모델과 함께 제공되는 Python 코드를 실행합니다. 기본값은 꺼짐이며, Phi-3에는 필요하지 않습니다.</translation>
    </message>
    <message>
        <source>Load even if it may not fit</source>
        <translation>메모리가 부족해도 불러오기</translation>
    </message>
    <message>
        <source>Load even when the estimate says the weights do not fit in the device&apos;s free memory.</source>
        <translation>추정치상 가중치가 장치의 남은 메모리에 들어가지 않아도 불러옵니다.</translation>
    </message>
    <message>
        <source>Memory for kept KV caches (MB)</source>
        <translation>보관할 KV 캐시 메모리 (MB)</translation>
    </message>
    <message>
        <source>The KV caches of the most recent conversations are kept (on the model&apos;s device) so that the next turn, or going back to a conversation, does not re-read the whole chat. Phi-3-mini&apos;s cache costs 0.39 MB per token in bfloat16 (1.6 GB for a full 4k context). 0 keeps none. Applies at the next load.</source>
        <translation>최근 대화의 KV 캐시를 모델의 장치에 보관해, 다음 차례나 대화로 돌아갈 때 전체 대화를 다시 읽지 않게 합니다. Phi-3-mini의 캐시는 bfloat16에서 토큰당 0.39 MB(4k 컨텍스트 전체에 1.6 GB)입니다. 0이면 보관하지 않습니다. 다음에 불러올 때 적용됩니다.</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>샘플링</translation>
    </message>
    <message>
        <source>Off: greedy, always the single most likely token (deterministic). On: draw each token at random from the filtered distribution below.</source>
        <translation>끔: 탐욕적 디코딩으로 항상 가장 확률이 높은 토큰을 고릅니다(결정적). 켬: 아래 설정으로 거른 분포에서 토큰을 무작위로 뽑습니다.</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>온도</translation>
    </message>
    <message>
        <source>Divides the logits before sampling: below 1 sharpens the distribution (safer, more repetitive), above 1 flattens it (more varied, more mistakes).</source>
        <translation>샘플링 전에 로짓을 나눕니다. 1보다 작으면 분포가 뾰족해지고(안전하지만 반복적), 1보다 크면 평평해집니다(다양하지만 실수가 많음).</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Nucleus sampling: keep the smallest set of tokens whose probabilities add up to p. 1 keeps all.</source>
        <translation>뉴클리어스 샘플링: 확률의 합이 p가 되는 가장 작은 토큰 집합만 남깁니다. 1이면 모두 남깁니다.</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Keep only the k most likely tokens before sampling. 0 turns the filter off.</source>
        <translation>샘플링 전에 확률이 가장 높은 토큰 k개만 남깁니다. 0이면 이 필터를 끕니다.</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Drop tokens whose probability is below min_p times the top token&apos;s. Scales with the model&apos;s confidence; 0 turns it off, 0.05-0.1 is typical.</source>
        <translation>가장 높은 토큰 확률에 min_p를 곱한 값보다 확률이 낮은 토큰을 버립니다. 모델의 확신도에 따라 달라집니다. 0이면 끄며, 보통 0.05–0.1을 씁니다.</translation>
    </message>
    <message>
        <source>Repetition penalty</source>
        <translation>반복 페널티</translation>
    </message>
    <message>
        <source>Above 1 makes tokens already in the text less likely, which curbs loops; too high garbles the text. Applies to greedy decoding too.</source>
        <translation>1보다 크면 이미 나온 토큰의 확률을 낮춰 반복을 줄입니다. 너무 높으면 글이 망가집니다. 탐욕적 디코딩에도 적용됩니다.</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>최대 새 토큰 수</translation>
    </message>
    <message>
        <source>The reply stops after this many tokens (stop reason: length). Counts against the context window.</source>
        <translation>답변이 이 토큰 수에 이르면 멈춥니다(중지 이유: 길이). 컨텍스트 창에 포함됩니다.</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>시드</translation>
    </message>
    <message>
        <source>With sampling on, the same seed, prompt and settings give the same reply. Empty: a new random reply each time.</source>
        <translation>샘플링이 켜져 있을 때 시드, 프롬프트, 설정이 같으면 같은 답변이 나옵니다. 비워 두면 매번 새로운 무작위 답변이 나옵니다.</translation>
    </message>
    <message>
        <source>Stop sequences</source>
        <translation>중지 문자열</translation>
    </message>
    <message>
        <source>The reply ends as soon as one of these strings appears; the string itself is not shown.</source>
        <translation>이 문자열 중 하나가 나오면 답변이 끝납니다. 그 문자열은 표시되지 않습니다.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>The language of menus, buttons and messages. system: the system&apos;s language when a translation exists, else English. Dates and numbers follow it. Applies at the next start.</source>
        <translation>메뉴, 버튼, 메시지의 언어입니다. system: 번역이 있으면 시스템 언어, 없으면 영어. 날짜와 숫자도 이 언어를 따릅니다. 다음 실행부터 적용됩니다.</translation>
    </message>
    <message>
        <source>bfloat16 where the device runs it well, float16 on older GPUs and MPS, float32 otherwise.</source>
        <translation>장치가 잘 지원하면 bfloat16, 오래된 GPU와 MPS에서는 float16, 그 밖에는 float32.</translation>
    </message>
    <message>
        <source>4 bytes per weight: the reference quality; the most memory and the slowest decoding.</source>
        <translation>가중치당 4바이트: 기준 품질이며, 메모리를 가장 많이 쓰고 디코딩이 가장 느립니다.</translation>
    </message>
    <message>
        <source>2 bytes per weight: half of float32&apos;s memory and about twice as fast, practically the same replies.</source>
        <translation>가중치당 2바이트: float32의 절반 메모리에 약 2배 빠르며, 답변은 사실상 같습니다.</translation>
    </message>
    <message>
        <source>2 bytes per weight like bfloat16; for GPUs without bfloat16. Can overflow on some models.</source>
        <translation>bfloat16처럼 가중치당 2바이트이며, bfloat16을 지원하지 않는 GPU용입니다. 일부 모델에서는 오버플로가 날 수 있습니다.</translation>
    </message>
    <message>
        <source>Weight-only int8 (CPU, CUDA): near-lossless (one scale per output row); about half of bfloat16&apos;s memory; decodes about 2x faster on the CPU, reads long prompts more slowly.</source>
        <translation>가중치 전용 int8(CPU, CUDA): 거의 손실이 없습니다(출력 행마다 스케일 하나). bfloat16의 약 절반 메모리를 쓰며, CPU에서 디코딩이 약 2배 빠르지만 긴 프롬프트는 더 느리게 읽습니다.</translation>
    </message>
    <message>
        <source>Weight-only int4 (CPU, CUDA): a small, measured loss (groups of 128 weights share a scale; see `llmdesk bench --quality`); about a third of bfloat16&apos;s memory; decodes about 4x faster on the CPU, reads long prompts more slowly.</source>
        <translation>가중치 전용 int4(CPU, CUDA): 측정된 작은 손실이 있습니다(가중치 128개 묶음이 스케일 하나를 공유, `llmdesk bench --quality` 참고). bfloat16의 약 3분의 1 메모리를 쓰며, CPU에서 디코딩이 약 4배 빠르지만 긴 프롬프트는 더 느리게 읽습니다.</translation>
    </message>
</context>
</TS>
