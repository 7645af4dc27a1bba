"""An item's mapping status, from what was decided for it."""

from ..choices import MappingStatus, MappingWarning, RecordAction
from ..policy import MappingPolicy
from .outcome import IncomingContext, MappingOutcome


def outcome_status(policy: MappingPolicy, ctx: IncomingContext, out: MappingOutcome) -> str:
    if out.customer is None:
        if policy.manual_only:
            out.warn(MappingWarning.MANUAL_MAPPING_REQUIRED)
            return MappingStatus.SKIPPED
        if out.ambiguous:
            return MappingStatus.WARNING
        if not out.warnings:
            out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
        return MappingStatus.FAILED
    if policy.manual_only and (
        (ctx.location and out.location is None) or (ctx.contact and out.contact is None)
    ):
        out.warn(MappingWarning.MANUAL_MAPPING_REQUIRED)
        return MappingStatus.SKIPPED
    if out.warnings:
        return MappingStatus.WARNING
    if RecordAction.CREATED in out.actions:
        return MappingStatus.CREATED
    if RecordAction.UPDATED in out.actions:
        return MappingStatus.UPDATED
    return MappingStatus.MAPPED
