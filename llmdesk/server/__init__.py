"""llmdesk's own OpenAI-compatible API server (Starlette + uvicorn). No Qt; the window's switch lives in gui."""
