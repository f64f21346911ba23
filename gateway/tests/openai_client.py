"""The stock OpenAI Python client against an Agora gateway (through `agora gateway proxy`).

Usage: openai_client.py BASE_URL EMBEDDING_MODEL CHAT_MODEL SENTENCES_JSON
Prints one JSON object: the models, the embeddings, the chat answer, the streamed chat answer, and
the status of a request the channel cannot pay for.
Exits 1 with the client's error when a call fails.
"""

import json
import sys

import openai

base_url, embedding_model, chat_model, sentences = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
# The proxy signs every request with the channel's key; the API key is not used.
client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)

models = [m.id for m in client.models.list().data]
emb = client.embeddings.create(model=embedding_model, input=sentences)
chat = client.chat.completions.create(
    model=chat_model,
    messages=[{"role": "user", "content": "What is the capital of France? Answer in one paragraph."}],
    max_tokens=24,
)
stream = client.chat.completions.create(
    model=chat_model,
    messages=[{"role": "user", "content": "Name a colour."}],
    max_tokens=8,
    stream=True,
)
streamed = []
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        streamed.append(chunk.choices[0].delta.content)

# A request whose price the channel's deposit no longer covers: 402, and nothing is signed.
exhausted_status = None
try:
    client.embeddings.create(model=embedding_model, input=["a sentence"] * 64)
except openai.APIStatusError as e:
    exhausted_status = e.status_code

print(json.dumps({
    "models": models,
    "embeddings": [d.embedding for d in sorted(emb.data, key=lambda d: d.index)],
    "embedding_model": emb.model,
    "chat": chat.choices[0].message.content,
    "chat_finish_reason": chat.choices[0].finish_reason,
    "streamed": "".join(streamed),
    "stream_chunks": len(streamed),
    "exhausted_status": exhausted_status,
}))
