"""The task agent: the one file the meta-agent edits.

It gets a task instruction and a Linux container, and works until it is done.
Everything here is fair game for an edit: the prompt, the model, the tools,
the loop. What it may use comes from the fixed runtime (task_agent/runtime.py):
``ctx.instruction``, ``ctx.env.run(command)``, ``ctx.env.read_file`` /
``write_file``, ``ctx.model.complete(...)`` (``tool_choice="any"`` or a
tool's name forces a tool call; ``thinking`` and ``effort`` set how hard the
model thinks, see THINKING and EFFORT), ``ctx.observe(results)``, ``ctx.time_left()``.
When the conversation outgrows the model's context window, ``complete`` raises
``ContextWindowError`` (from task_agent.runtime), which the loop may catch to
shorten the conversation and go on; other refused requests raise ``ModelError``.
It runs in a jail: no network, no docker, no files of the host; commands run
in the task's container.
"""

from __future__ import annotations

from task_agent.runtime import Context, Tool, ToolCall, tool_result

MODEL = "anthropic:claude-sonnet-5-5"
# None leaves each to the API's default. THINKING: "adaptive" (the model decides how much),
# "off", or a budget of thinking tokens (>= 1024; counted in MAX_TOKENS); Anthropic models only.
# EFFORT: "low", "medium", "high", "xhigh" or "max" (Anthropic and OpenAI models).
THINKING = None
EFFORT = None
MAX_TURNS = 10
MAX_TOKENS = 4096
COMMAND_TIMEOUT_SEC = 120
OUTPUT_LIMIT = 8000

SYSTEM_PROMPT = """You are an agent that completes tasks in a Linux terminal.
You can run shell commands with the run_shell tool. Work step by step.
When the task is done, reply without calling a tool."""


async def run_shell(ctx: Context, command: str) -> str:
    """Run a bash command in the task's container and return what it printed."""
    result = await ctx.env.run(command, timeout=COMMAND_TIMEOUT_SEC)
    output = result.output
    if len(output) > OUTPUT_LIMIT:
        output = output[:OUTPUT_LIMIT] + f"\n[... {len(output) - OUTPUT_LIMIT} characters cut]"
    if result.timed_out:
        output += f"\n[timed out after {COMMAND_TIMEOUT_SEC}s]"
    return f"{output}\n[exit code {result.exit_code}]"


TOOLS = [
    Tool(
        name="run_shell",
        description="Run a bash command in the task's Linux container and see its output and exit code.",
        input_schema={
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The bash command to run."}},
            "required": ["command"],
        },
        fn=run_shell,
    ),
]


async def call_tool(ctx: Context, call: ToolCall) -> dict:
    """Execute one tool call; any failure goes back to the model as an error result."""
    tool = next((t for t in TOOLS if t.name == call.name), None)
    if tool is None:
        return tool_result(call.id, f"unknown tool {call.name!r}", is_error=True)
    if call.parse_error:
        return tool_result(call.id, f"invalid arguments: {call.parse_error}", is_error=True)
    try:
        return tool_result(call.id, await tool.fn(ctx, **call.arguments))
    except Exception as exc:  # a tool error is the model's to handle, not a crash
        return tool_result(call.id, f"{type(exc).__name__}: {exc}", is_error=True)


async def run(ctx: Context) -> None:
    """The loop: ask the model, run the tools it asks for, until it stops or turns run out."""
    messages: list[dict] = [{"role": "user", "content": ctx.instruction}]
    tools = [tool.spec() for tool in TOOLS]
    for _ in range(MAX_TURNS):
        reply = await ctx.model.complete(messages, system=SYSTEM_PROMPT, tools=tools, max_tokens=MAX_TOKENS,
                                         thinking=THINKING, effort=EFFORT)
        messages.append({"role": "assistant", "content": reply.content})
        if not reply.tool_calls:
            return
        results = [await call_tool(ctx, call) for call in reply.tool_calls]
        ctx.observe(results)
        messages.append({"role": "user", "content": results})
