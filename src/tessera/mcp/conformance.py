"""The conformance suite's fixture surface: its ``test_*`` tools, ``test://`` resources and
prompts, served beside Tessera's own when ``MCP_TEST_FIXTURES`` is on (tests only).

``@modelcontextprotocol/conformance`` checks protocol features through fixtures every
server under test must implement by name (a tool answering an image, one that logs, one
that asks for input ...). Tessera's own tools do not return images or ask questions, so
without these the suite could not reach the machinery they exercise — the SSE response
stream, questions over it, ``input_required`` results and signed ``requestState``,
resources, completion — which is Tessera's own code either way. The fixtures only call
it. They are never on in a deployment: the setting is off by default and documented as a
test flag, and ``tests/mcp/test_conformance.py`` turns it on for its own server.
"""

from __future__ import annotations

import base64
import io
import json
import time
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tessera.mcp.context import ToolContext
from tessera.mcp.prompts import FixedPrompt
from tessera.mcp.protocol import Surface
from tessera.mcp.registry import Toolset
from tessera.mcp.resources import COLLECTION, SCHEMA, Resource, Resources, Template

#: A 1x1 red PNG.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5Er"
    "kJggg=="
)
#: The pause between a streaming fixture's messages, as the suite describes them.
STEP_SECONDS = 0.05

Result = dict[str, Any]
Handler = Callable[[ToolContext, Mapping[str, Any]], Result]


def _wav() -> str:
    """A tenth of a second of silence, 8 kHz mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 800)
    return base64.b64encode(buffer.getvalue()).decode()


WAV = _wav()


def _text(text: str) -> Result:
    return {"content": [{"type": "text", "text": text}]}


def _elicit(message: str, properties: dict[str, Any], required: list[str]) -> tuple[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return "elicitation/create", {"message": message, "requestedSchema": schema}


def _sample(text: str, max_tokens: int) -> tuple[str, Any]:
    messages = [{"role": "user", "content": {"type": "text", "text": text}}]
    return "sampling/createMessage", {"messages": messages, "maxTokens": max_tokens}


ROOTS: tuple[str, dict[str, Any]] = ("roots/list", {})


def _answer(response: Any, key: str, fallback: str = "") -> str:
    """A field of an elicitation answer's content, as text."""
    content = response.get("content") if isinstance(response, Mapping) else None
    value = content.get(key) if isinstance(content, Mapping) else None
    return fallback if value is None else str(value)


def _sampled(response: Any) -> str:
    content = response.get("content") if isinstance(response, Mapping) else None
    return str(content.get("text", "")) if isinstance(content, Mapping) else ""


# --- content ----------------------------------------------------------------------------


def _image(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    return {"content": [{"type": "image", "data": PNG, "mimeType": "image/png"}]}


def _audio(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    return {"content": [{"type": "audio", "data": WAV, "mimeType": "audio/wav"}]}


def _embedded(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    resource = {
        "uri": "test://embedded-resource",
        "mimeType": "text/plain",
        "text": "This is an embedded resource content.",
    }
    return {"content": [{"type": "resource", "resource": resource}]}


def _mixed(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    resource = {
        "uri": "test://mixed-content-resource",
        "mimeType": "application/json",
        "text": json.dumps({"test": "data", "value": 123}),
    }
    return {
        "content": [
            {"type": "text", "text": "Multiple content types test:"},
            {"type": "image", "data": PNG, "mimeType": "image/png"},
            {"type": "resource", "resource": resource},
        ]
    }


def _error(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    text = "This tool intentionally returns an error for testing"
    return {"isError": True, "content": [{"type": "text", "text": text}]}


# --- streams ----------------------------------------------------------------------------


def _logging(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    for i, message in enumerate(
        ("Tool execution started", "Tool processing data", "Tool execution completed")
    ):
        if i:
            time.sleep(STEP_SECONDS)
        ctx.exchange.log("info", message, "conformance")
    return _text("Tool with logging executed successfully")


def _progress(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    for i, step in enumerate((0, 50, 100)):
        if i:
            time.sleep(STEP_SECONDS)
        ctx.exchange.progress(step, 100, f"Completed step {step} of 100")
    return _text(str(ctx.exchange.progress_token))


def _sampling(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    prompt = str(args.get("prompt", ""))
    answer = ctx.exchange.ask({"sample": _sample(prompt, 100)})["sample"]
    return _text(f"LLM response: {_sampled(answer) or 'No response'}")


def _elicitation(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    response = {"response": {"type": "string", "description": "User's response"}}
    question = _elicit(str(args.get("message", "")), response, ["response"])
    answer = ctx.exchange.ask({"input": question})["input"]
    return _text(f"User response: {json.dumps(answer, separators=(',', ':'))}")


def _elicitation_defaults(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    properties = {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    }
    message = "Please review and update the form fields with defaults"
    answer = ctx.exchange.ask({"form": _elicit(message, properties, [])})["form"]
    return _text(f"Elicitation completed: {json.dumps(answer, separators=(',', ':'))}")


def _elicitation_enums(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    def titled(prefix: str, words: tuple[str, ...], label: str) -> list[dict[str, str]]:
        return [
            {"const": f"{prefix}{i}", "title": f"{word} {label}"} for i, word in enumerate(words, 1)
        ]

    options = ["option1", "option2", "option3"]
    properties = {
        "untitledSingle": {"type": "string", "description": "Select one option", "enum": options},
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": titled("value", ("First", "Second", "Third"), "Option"),
        },
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": options},
        },
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {"anyOf": titled("value", ("First", "Second", "Third"), "Choice")},
        },
    }
    message = "Please select options from the enum fields"
    answer = ctx.exchange.ask({"form": _elicit(message, properties, [])})["form"]
    return _text(f"Elicitation completed: {json.dumps(answer, separators=(',', ':'))}")


# --- input_required (2026-07-28) --------------------------------------------------------

NAME = _elicit("What is your name?", {"name": {"type": "string"}}, ["name"])
CONFIRM = _elicit("Please confirm", {"ok": {"type": "boolean"}}, ["ok"])
STEP1 = _elicit("Step 1: What is your name?", {"name": {"type": "string"}}, ["name"])
STEP2 = _elicit("Step 2: What is your favorite color?", {"color": {"type": "string"}}, ["color"])


def _missing_capability(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    ctx.exchange.require("sampling")
    return _text("Success")


def _ask_name(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    answer = ctx.exchange.ask({"user_name": NAME})["user_name"]
    return _text(f"Hello, {_answer(answer, 'name', 'friend')}!")


def _ask_sample(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    question = _sample("What is the capital of France?", 100)
    answer = ctx.exchange.ask({"sample_request": question})["sample_request"]
    return _text(f"Sampling result: {_sampled(answer) or 'no response'}")


def _ask_roots(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    answer = ctx.exchange.ask({"roots_request": ROOTS})["roots_request"]
    roots = answer.get("roots") if isinstance(answer, Mapping) else None
    return _text(f"Found {len(roots) if isinstance(roots, list) else 0} root(s)")


def _ask_with_state(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    answer = ctx.exchange.ask({"confirm": CONFIRM}, {"kind": "request-state"})["confirm"]
    state = ctx.exchange.state or {}
    if state.get("kind") == "request-state" and _answer(answer, "ok") == str(True):
        return _text("state-ok: requestState validated")
    return _text("state-missing: the confirmation came without its requestState")


def _ask_several(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    questions = {
        "user_name": NAME,
        "greeting": _sample("Generate a greeting", 50),
        "client_roots": ROOTS,
    }
    answers = ctx.exchange.ask(questions, {"kind": "multiple-inputs"})
    roots = (
        answers["client_roots"].get("roots")
        if isinstance(answers["client_roots"], Mapping)
        else None
    )
    name = _answer(answers["user_name"], "name")
    greeting = _sampled(answers["greeting"]) or "Hello there!"
    count = len(roots) if isinstance(roots, list) else 0
    return _text(f"Name: {name}; Greeting: {greeting}; Roots: {count}")


def _ask_twice(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    state = ctx.exchange.state or {}
    if state.get("round") == 2:
        color = _answer(ctx.exchange.ask({"step2": STEP2}, state)["step2"], "color")
        return _text(f"Multi-round complete for {state.get('name', 'friend')} who likes {color}")
    name = _answer(ctx.exchange.ask({"step1": STEP1}, {"round": 1})["step1"], "name", "friend")
    color = _answer(
        ctx.exchange.ask({"step2": STEP2}, {"round": 2, "name": name})["step2"], "color"
    )
    return _text(f"Multi-round complete for {name} who likes {color}")


def _ask_tamper_proof(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    ctx.exchange.ask({"confirm": CONFIRM}, {"kind": "tamper-test"})
    return _text("integrity-ok: state verified")


def _ask_what_client_can(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    questions: dict[str, tuple[str, Any]] = {}
    if ctx.exchange.can("elicitation"):
        questions["elicit_input"] = _elicit(
            "Elicitation input", {"value": {"type": "string"}}, ["value"]
        )
    if ctx.exchange.can("sampling"):
        questions["sample_input"] = _sample("Sample request", 50)
    if not questions:
        return _text("No supported capabilities declared")
    answers = ctx.exchange.ask(questions, {"kind": "capabilities-test"})
    return _text(f"capabilities-ok: received {','.join(answers)}")


@dataclass(frozen=True)
class FixtureTool:
    name: str
    description: str
    handler: Handler
    properties: dict[str, Any]
    streams: bool = False

    def to_wire(self) -> dict[str, Any]:
        required = list(self.properties)
        schema: dict[str, Any] = {"type": "object", "properties": self.properties}
        if required:
            schema["required"] = required
        return {"name": self.name, "description": self.description, "inputSchema": schema}


_PROMPT_ARG = {"prompt": {"type": "string", "description": "The prompt to send to the LLM"}}
_MESSAGE_ARG = {"message": {"type": "string", "description": "The message to show the user"}}
TOOLS = {
    tool.name: tool
    for tool in [
        FixtureTool(
            "test_simple_text",
            "Answers one text.",
            lambda c, a: _text("This is a simple text response for testing."),
            {},
        ),
        FixtureTool("test_image_content", "Answers an image.", _image, {}),
        FixtureTool("test_audio_content", "Answers a sound.", _audio, {}),
        FixtureTool("test_embedded_resource", "Answers an embedded resource.", _embedded, {}),
        FixtureTool("test_multiple_content_types", "Answers text, image and resource.", _mixed, {}),
        FixtureTool("test_error_handling", "Always fails.", _error, {}),
        FixtureTool("test_tool_with_logging", "Logs three messages.", _logging, {}, True),
        FixtureTool(
            "test_tool_with_progress", "Reports progress three times.", _progress, {}, True
        ),
        FixtureTool("test_sampling", "Asks the client's model.", _sampling, _PROMPT_ARG, True),
        FixtureTool("test_elicitation", "Asks the user.", _elicitation, _MESSAGE_ARG, True),
        FixtureTool(
            "test_elicitation_sep1034_defaults",
            "Asks with defaults.",
            _elicitation_defaults,
            {},
            True,
        ),
        FixtureTool(
            "test_elicitation_sep1330_enums", "Asks with enums.", _elicitation_enums, {}, True
        ),
        FixtureTool("test_missing_capability", "Needs sampling.", _missing_capability, {}),
        FixtureTool("test_input_required_result_elicitation", "Asks a name.", _ask_name, {}),
        FixtureTool("test_input_required_result_sampling", "Asks the model.", _ask_sample, {}),
        FixtureTool("test_input_required_result_list_roots", "Asks for roots.", _ask_roots, {}),
        FixtureTool(
            "test_input_required_result_request_state", "Asks with state.", _ask_with_state, {}
        ),
        FixtureTool(
            "test_input_required_result_multiple_inputs", "Asks three things.", _ask_several, {}
        ),
        FixtureTool("test_input_required_result_multi_round", "Asks twice.", _ask_twice, {}),
        FixtureTool(
            "test_input_required_result_tampered_state", "Signs its state.", _ask_tamper_proof, {}
        ),
        FixtureTool(
            "test_input_required_result_capabilities",
            "Asks what the client can answer.",
            _ask_what_client_can,
            {},
        ),
    ]
}


class FixtureToolset:
    """The suite's tools first, then the server's own."""

    def __init__(self, inner: Toolset) -> None:
        self.inner = inner

    def list_tools(self, ctx: ToolContext) -> list[dict[str, Any]]:
        return [tool.to_wire() for tool in TOOLS.values()] + self.inner.list_tools(ctx)

    def streams(self, name: str) -> bool:
        return TOOLS[name].streams if name in TOOLS else self.inner.streams(name)

    def call(self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None) -> Result:
        if name in TOOLS:
            return TOOLS[name].handler(ctx, arguments or {})
        return self.inner.call(ctx, name, arguments)


# --- resources and prompts --------------------------------------------------------------


def _static(uri: str, mime_type: str, **content: str) -> Callable[[ToolContext], list[Any]]:
    return lambda ctx: [{"uri": uri, "mimeType": mime_type, **content}]


def _template(ctx: ToolContext, uri: str, parts: dict[str, str]) -> list[dict[str, Any]]:
    data = {"id": parts["id"], "templateTest": True, "data": f"Data for ID: {parts['id']}"}
    return [{"uri": uri, "mimeType": "application/json", "text": json.dumps(data)}]


RESOURCES = Resources(
    [
        SCHEMA,
        Resource(
            "test://static-text",
            "static-text",
            "Static Text Resource",
            "A static text resource",
            "text/plain",
            _static(
                "test://static-text",
                "text/plain",
                text="This is the content of the static text resource.",
            ),
        ),
        Resource(
            "test://static-binary",
            "static-binary",
            "Static Binary Resource",
            "A 1x1 PNG",
            "image/png",
            _static("test://static-binary", "image/png", blob=PNG),
        ),
        Resource(
            "test://watched-resource",
            "watched-resource",
            "Watched Resource",
            "A resource to subscribe to",
            "text/plain",
            _static("test://watched-resource", "text/plain", text="Watched resource content"),
        ),
    ],
    [
        COLLECTION,
        Template(
            "test://template/{id}/data",
            "template",
            "Resource Template",
            "A resource template with parameter substitution",
            "application/json",
            _template,
        ),
    ],
    subscribable=True,
)


def _with_resource(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    resource = {
        "uri": str(args.get("resourceUri", "test://example-resource")),
        "mimeType": "text/plain",
        "text": "Embedded resource content for testing.",
    }
    text = {"type": "text", "text": "Please process the embedded resource above."}
    return {
        "messages": [
            {"role": "user", "content": {"type": "resource", "resource": resource}},
            {"role": "user", "content": text},
        ]
    }


def _with_image(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    image = {"type": "image", "data": PNG, "mimeType": "image/png"}
    text = {"type": "text", "text": "Please analyze the image above."}
    return {"messages": [{"role": "user", "content": image}, {"role": "user", "content": text}]}


def _with_question(ctx: ToolContext, args: Mapping[str, Any]) -> Result:
    question = _elicit(
        "What context should the prompt use?", {"context": {"type": "string"}}, ["context"]
    )
    answer = ctx.exchange.ask({"user_context": question})["user_context"]
    text = f"Prompt with context: {_answer(answer, 'context')}"
    return {"messages": [{"role": "user", "content": {"type": "text", "text": text}}]}


_URI_ARG = {"name": "resourceUri", "description": "URI of the resource to embed", "required": True}
PROMPTS = [
    FixedPrompt(
        "test_prompt_with_embedded_resource",
        "A prompt with an embedded resource",
        [_URI_ARG],
        _with_resource,
    ),
    FixedPrompt("test_prompt_with_image", "A prompt with an image", [], _with_image),
    FixedPrompt(
        "test_input_required_result_prompt", "A prompt that asks for context", [], _with_question
    ),
]


def surface(inner: Surface) -> Surface:
    """``inner`` with the fixtures added."""
    return Surface(FixtureToolset(inner.tools), RESOURCES, PROMPTS)
