"""Conversation content for the screenshots in each interface language (the chat itself is what a user of that
language would type; the model's reply is scripted). English lives in :mod:`llmdesk.gui.dev.screenshots`."""

from __future__ import annotations

KO_QUESTION = "파이썬에서 CSV 파일은 어떻게 읽나요?"

KO_REPLY = """## 파이썬으로 CSV 파일 읽기

대부분의 파일은 표준 라이브러리의 `csv` 모듈로 충분합니다:

```python
import csv

with open("prices.csv", newline="", encoding="utf-8") as fh:
    for row in csv.DictReader(fh):
        print(row["item"], float(row["price"]))
```

알아 두면 좋은 점:

1. 따옴표 안의 줄바꿈이 깨지지 않도록 `newline=""`로 파일을 엽니다.
2. `DictReader`는 **첫 번째 행**을 머리글로 씁니다.
3. 큰 파일은 한꺼번에 불러오기보다 *스트리밍*으로 읽는 편이 좋습니다.

| 방법 | 메모리 | 속도 |
|---|---|---|
| `csv.reader` | 적음 | 빠름 |
| `pandas.read_csv` | 많음 | 매우 빠름 |

자료형이 필요하면 각 필드를 직접 변환하거나, 자료형과 날짜, 빠진 값까지 알아서 처리해 주는 pandas를 쓰세요.
"""

KO_SIDEBAR_CHATS = [
    ("주말 등산 준비물", "가을에 1박 2일 등산을 가려면 무엇을 챙겨야 하나요?"),
    ("SQL: 중복 행 찾기", "users 테이블에서 중복된 이메일을 어떻게 찾나요?"),
    ("트랜스포머의 어텐션 설명", "선형대수를 안다고 생각하고 셀프 어텐션을 설명해 주세요."),
    ("동생 생일 축하 메시지", "여동생에게 보낼 짧고 따뜻한 생일 축하 메시지를 써 주세요."),
]

KO_FIRST_REPLY = "`pandas.read_csv(\"prices.csv\")`를 쓰면 파일을 한 줄로 DataFrame에 읽어 들일 수 있습니다."

SAMPLES = {
    "ko": {"question": KO_QUESTION, "reply": KO_REPLY, "sidebar": KO_SIDEBAR_CHATS, "first_reply": KO_FIRST_REPLY},
}
