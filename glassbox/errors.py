"""Errors a learner may see, with their messages in English and Korean.

Core code raises `GlassboxError(code, **params)`; the CLI and the pages show
`error.message(lang)` instead of a traceback.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "model_folder_missing": {
        "en": "No model folder at {path}. Check the path, or leave it empty to use the built-in model.",
        "ko": "{path} 에 모델 폴더가 없습니다. 경로를 확인하거나, 비워 두면 내장 모델을 씁니다.",
    },
    "model_not_olmoe": {
        "en": "{source} is a '{model_type}' model, not an OLMoE. Glass Box only opens OLMoE models.",
        "ko": "{source} 는 OLMoE가 아니라 '{model_type}' 모델입니다. Glass Box는 OLMoE 모델만 열 수 있습니다.",
    },
    "model_unreadable": {
        "en": "The model at {source} could not be read: {detail}",
        "ko": "{source} 의 모델을 읽지 못했습니다: {detail}",
    },
    "model_no_safetensors": {
        "en": "{source} has no .safetensors weights. For safety Glass Box loads safetensors only.",
        "ko": "{source} 에 .safetensors 가중치가 없습니다. 안전을 위해 Glass Box는 safetensors만 읽습니다.",
    },
    "model_download_failed": {
        "en": "There is no folder '{source}' here, and it could not be downloaded as a model "
        "(no network, or the name is wrong). Use a local folder that holds the weights.",
        "ko": "'{source}' 라는 폴더가 없고, 모델로 내려받지도 못했습니다(네트워크가 없거나 "
        "이름이 틀렸습니다). 가중치가 들어 있는 로컬 폴더를 지정하세요.",
    },
    "too_many_requests": {
        "en": "You asked for {limit} new results in the last minute, the most one learner may ask for while "
        "others share this server. Try again in about {wait} seconds; what is on the page stays.",
        "ko": "지난 1분 동안 새 결과를 {limit}번 요청했습니다. 여러 사람이 이 서버를 함께 쓰고 있어 한 사람이 "
        "요청할 수 있는 최대치입니다. 약 {wait}초 뒤에 다시 해 보세요. 화면의 내용은 그대로 남아 있습니다.",
    },
    "text_empty": {
        "en": "The text is empty. Type a few words first.",
        "ko": "텍스트가 비어 있습니다. 먼저 몇 단어를 입력하세요.",
    },
    "text_too_long": {
        "en": "The text is {tokens} tokens long; this model reads at most {limit}. Shorten it.",
        "ko": "텍스트가 {tokens} 토큰입니다. 이 모델은 최대 {limit} 토큰까지만 읽습니다. 줄여 주세요.",
    },
    "trace_too_long": {
        "en": "The text is {tokens} tokens long; tracing looks at most {limit} tokens at a time. Shorten it.",
        "ko": "텍스트가 {tokens} 토큰입니다. 추적은 한 번에 최대 {limit} 토큰까지만 봅니다. 줄여 주세요.",
    },
    "text_not_utf8": {
        "en": "{path} is not valid UTF-8 text (bad byte at position {position}).",
        "ko": "{path} 는 올바른 UTF-8 텍스트가 아닙니다(위치 {position}의 바이트가 잘못됨).",
    },
    "text_not_unicode": {
        "en": "The text holds a broken character at position {position} (half of a pair that makes one "
        "character), so it cannot be read. Remove it, or copy the text again.",
        "ko": "텍스트의 {position}번째 위치에 깨진 문자(두 개가 짝을 이뤄야 하는 문자의 한쪽)가 있어 읽을 수 "
        "없습니다. 그 문자를 지우거나 텍스트를 다시 복사해 넣으세요.",
    },
    "file_missing": {
        "en": "No file at {path}.",
        "ko": "{path} 에 파일이 없습니다.",
    },
    "bad_setting": {
        "en": "{name} must be {rule} (got {value}).",
        "ko": "{name} 값은 {rule} 이어야 합니다(받은 값: {value}).",
    },
    "corpus_no_training": {
        "en": "The corpus at {path} has no training documents (split \"train\"), so there is nothing to index.",
        "ko": "{path} 의 코퍼스에 학습용 문서(split \"train\")가 없어 색인할 것이 없습니다.",
    },
    "index_missing": {
        "en": "There is no corpus index at {path} yet. Build it with `{command}`.",
        "ko": "{path} 에 아직 코퍼스 색인이 없습니다. `{command}` 로 만드세요.",
    },
    "index_corrupt": {
        "en": "The corpus index at {path} is damaged or incomplete. Rebuild it with `{command}`.",
        "ko": "{path} 의 코퍼스 색인이 손상되었거나 완성되지 않았습니다. `{command}` 로 다시 만드세요.",
    },
    "index_path_reserved": {
        "en": "The index folder {path} has '{word}' in its path; the search engine would mistake its files. "
        "Choose a folder whose path avoids that word.",
        "ko": "색인 폴더 {path} 의 경로에 '{word}' 가 들어 있어 검색 엔진이 파일을 잘못 알아봅니다. "
        "그 단어가 없는 경로를 고르세요.",
    },
    "index_build_failed": {
        "en": "Building the corpus index failed: {detail}",
        "ko": "코퍼스 색인을 만들지 못했습니다: {detail}",
    },
    "index_query_failed": {
        "en": "The corpus index could not answer: {detail}",
        "ko": "코퍼스 색인이 답하지 못했습니다: {detail}",
    },
    "hosted_unreachable": {
        "en": "The infini-gram service at {url} did not answer ({detail}) after {tries} tries. "
        "Check the network connection or try again later.",
        "ko": "{url} 의 infini-gram 서비스가 {tries}번 시도에도 응답하지 않았습니다({detail}). "
        "네트워크 연결을 확인하거나 나중에 다시 시도하세요.",
    },
    "hosted_failed": {
        "en": "The infini-gram service at {url} refused the query: {detail}",
        "ko": "{url} 의 infini-gram 서비스가 질의를 거부했습니다: {detail}",
    },
    "lesson_malformed": {
        "en": "The lesson file {file} could not be used: {problem}",
        "ko": "수업 파일 {file} 을(를) 쓸 수 없습니다: {problem}",
    },
    "lesson_language_unknown": {
        "en": "There are no lessons in '{lang}'. Lessons exist in: {languages}.",
        "ko": "'{lang}' 언어로 된 수업은 없습니다. 지금 있는 언어: {languages}.",
    },
    "ladder_unfit": {
        "en": "The anthology ladder does not fit this corpus (passage {passage}: {detail}). "
        "Rebuild it with `glassbox build ladder`, then build the corpus again.",
        "ko": "선집 사다리가 이 말뭉치와 맞지 않습니다(구절 {passage}: {detail}). "
        "`glassbox build ladder` 로 다시 만든 뒤 말뭉치를 다시 만드세요.",
    },
    "corpus_missing": {
        "en": "No corpus at {path}. Build it first: python -m glassbox build corpus",
        "ko": "{path} 에 코퍼스가 없습니다. 먼저 만드세요: python -m glassbox build corpus",
    },
    "corpus_bad_line": {
        "en": "Line {line} of the corpus {path} is not a valid document ({detail}). Rebuild the corpus.",
        "ko": "코퍼스 {path} 의 {line}번째 줄이 올바른 문서가 아닙니다({detail}). 코퍼스를 다시 만드세요.",
    },
    "corpus_bad_manifest": {
        "en": "The corpus manifest {path} could not be read ({detail}). Rebuild the corpus.",
        "ko": "코퍼스 목록 파일 {path} 을(를) 읽지 못했습니다({detail}). 코퍼스를 다시 만드세요.",
    },
    "corpus_fetch_failed": {
        "en": "Could not fetch the corpus source {source} with {tool}: {detail}",
        "ko": "코퍼스 출처 {source} 을(를) {tool} 로 내려받지 못했습니다: {detail}",
    },
    "corpus_source_unusable": {
        "en": "The corpus source {source} cannot be used: {detail}",
        "ko": "코퍼스 출처 {source} 을(를) 쓸 수 없습니다: {detail}",
    },
    "corpus_unknown_source": {
        "en": "Unknown corpus source: {name}. Known sources: {known}.",
        "ko": "알 수 없는 코퍼스 출처입니다: {name}. 쓸 수 있는 출처: {known}.",
    },
    "corpus_empty": {
        "en": "No corpus source could be used (skipped: {skipped}), so no corpus was written.",
        "ko": "쓸 수 있는 코퍼스 출처가 하나도 없어(건너뜀: {skipped}) 코퍼스를 만들지 않았습니다.",
    },
}


class GlassboxError(Exception):
    """An error with a learner-facing message; `code` picks the message, params fill it."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        texts = MESSAGES.get(self.code)
        if texts is None:
            return f"{self.code}: {self.params}"
        template = texts.get(lang) or texts["en"]
        return template.format(**self.params)
