"""The one place where boto3/botocore failures become a one-sentence :class:`BackendError`.

Every Bedrock failure an analyst can meet (no credentials, AccessDenied, model not enabled, wrong
region or model id, throttling, timeouts, an unreachable endpoint, a model-side error) is mapped
here to :class:`BedrockCallError`: a ``BackendError`` whose ``str()`` says what is wrong and what to
fix, plus a ``kind`` (stable id used by tests, the ledger and the circuit breaker) and whether the
rest of the run should stop calling Bedrock (``fatal``: retrying the next agent cannot help).
"""

from __future__ import annotations

from botocore import exceptions as bex

from analysis.errors import BackendError


class BedrockCallError(BackendError):
    """A Bedrock call failed; ``kind`` names the failure, ``fatal`` stops further calls this run."""

    def __init__(self, message: str, kind: str, *, fatal: bool = False):
        super().__init__(message)
        self.kind = kind
        self.fatal = fatal


def _client_error(exc: bex.ClientError, model_id: str, region: str) -> BedrockCallError:
    err = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(err.get("Code", "")) or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    msg = str(err.get("Message", "")).lower()
    if code in ("AccessDeniedException", "AccessDenied"):
        if "model" in msg and ("access" in msg or "enabled" in msg or "subscription" in msg or "marketplace" in msg):
            return BedrockCallError(
                f"Model {model_id} is not enabled for this account in {region}: request access in the Bedrock "
                "console (Model access) or pick another model in Settings.", "model_not_enabled", fatal=False)
        return BedrockCallError(
            f"AWS denied the Bedrock call to {model_id} (AccessDenied): grant bedrock:InvokeModel (Converse) on "
            "this model to your role or profile, or switch the backend to offline.", "access_denied", fatal=True)
    if code in ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
                "InvalidClientTokenId", "SignatureDoesNotMatch"):
        return BedrockCallError(
            "The AWS credentials were rejected (invalid or expired): refresh them (for example with aws sso login) or pick "
            "another profile in Settings.", "bad_credentials", fatal=True)
    if code == "ResourceNotFoundException":
        return BedrockCallError(
            f"Model {model_id} was not found in region {region}: check the model id and region in Settings "
            "(cross-region inference profile ids carry a us, eu or apac prefix).", "model_not_found")
    if code == "ValidationException" and ("model identifier" in msg or "on-demand throughput" in msg
                                          or "inference profile" in msg or "model id" in msg):
        return BedrockCallError(
            f"Bedrock does not accept model id {model_id} in {region}: use a model or inference-profile id "
            "that is available in this region (Settings).", "bad_model_id")
    if code == "ValidationException" and "tool" in msg and ("support" in msg or "not allowed" in msg):
        return BedrockCallError(
            f"Model {model_id} does not support tool use (structured output): pick a Claude, Nova, Llama 3.1+ or "
            "Mistral Large model for this agent in Settings.", "no_tool_use")
    if code == "ValidationException" and "image" in msg and ("support" in msg or "not allowed" in msg):
        return BedrockCallError(
            f"Model {model_id} does not accept images: pick a multimodal model for the vision agent in Settings.",
            "no_images")
    if code == "ValidationException" and ("too long" in msg or "too many" in msg or "context" in msg):
        return BedrockCallError(
            f"The request was too large for {model_id}: upload less or use a model with a larger context window.",
            "too_large")
    if code == "ValidationException":
        return BedrockCallError(
            f"Bedrock rejected the request to {model_id} ({err.get('Message', 'validation error')[:160]}): "
            "the offline result is used; report this to the workbench maintainers.", "validation")
    if code in ("ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"):
        return BedrockCallError(
            f"Bedrock is throttling calls to {model_id} even after retries: wait a minute, raise the quota, or "
            "use a cross-region inference profile.", "throttled")
    if code == "ModelTimeoutException":
        return BedrockCallError(
            f"Model {model_id} took too long to answer: retry, or upload less for this agent.", "timeout")
    if code == "ModelNotReadyException":
        return BedrockCallError(
            f"Model {model_id} is not ready yet: retry in a minute.", "model_not_ready")
    if code in ("ServiceUnavailableException", "InternalServerException", "ModelErrorException",
                "ModelStreamErrorException"):
        return BedrockCallError(
            f"Bedrock failed on its side ({code}) for {model_id}: retry later; the offline result is shown.",
            "service_error")
    return BedrockCallError(
        f"The Bedrock call to {model_id} failed ({code or 'unknown error'}): check Settings or retry later.",
        "unknown")


def translate(exc: BaseException, model_id: str = "", region: str = "") -> BedrockCallError:
    """Map any exception raised around a Converse call to one sentence (never raises)."""
    if isinstance(exc, BedrockCallError):
        return exc
    if isinstance(exc, bex.ClientError):
        return _client_error(exc, model_id, region)
    if isinstance(exc, (bex.NoCredentialsError, bex.PartialCredentialsError)):
        return BedrockCallError(
            "No AWS credentials were found: configure a profile (aws configure / aws sso login), environment "
            "variables or an instance role, or switch the backend to offline.", "no_credentials", fatal=True)
    if isinstance(exc, (bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError, bex.TokenRetrievalError)):
        return BedrockCallError(
            "The AWS SSO session has expired: run aws sso login for the configured profile.", "sso_expired",
            fatal=True)
    if isinstance(exc, bex.ProfileNotFound):
        return BedrockCallError(
            f"The AWS profile in Settings does not exist ({exc}): pick a profile from ~/.aws/config.",
            "profile_not_found", fatal=True)
    if isinstance(exc, bex.NoRegionError):
        return BedrockCallError("No AWS region is configured: set the Bedrock region in Settings.", "no_region",
                                fatal=True)
    if isinstance(exc, (bex.ReadTimeoutError,)):
        return BedrockCallError(
            f"Bedrock did not answer within the timeout for {model_id}: retry, raise SREWB_BEDROCK_TIMEOUT_S, "
            "or upload less.", "timeout")
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ConnectionClosedError,
                        bex.HTTPClientError)):
        where = f"region {region}" if region else "the configured endpoint"
        return BedrockCallError(
            f"The Bedrock endpoint for {where} cannot be reached: check the network, proxy, region or "
            "SREWB_BEDROCK_ENDPOINT_URL.", "unreachable", fatal=True)
    if isinstance(exc, bex.ParamValidationError):
        return BedrockCallError(
            f"The workbench built an invalid Bedrock request ({str(exc)[:160]}): report this to the maintainers.",
            "bad_request")
    if isinstance(exc, bex.BotoCoreError):
        return BedrockCallError(f"The Bedrock client failed ({type(exc).__name__}): check Settings or retry later.",
                                "client_error")
    return BedrockCallError(f"The Bedrock call failed unexpectedly ({type(exc).__name__}: {str(exc)[:160]}).",
                            "unexpected")
