"""The directory the figures are judged by (contracts, lines, grants) and the calls rolled up per interval.

Revision ID: 20261124_0002
Revises: 20261123_0001
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import POLICY_NAME, TENANT_MATCHES, enable_tenant_rls
from metrics.routing import ROUTING_SETTING

revision = "20261124_0002"
down_revision = "20261123_0001"
branch_labels = None
depends_on = None

# A call event names its line, not its tenant: ingest finds the tenant of a line, and whom a client serves,
# across tenants while this setting is on. Writing stays per tenant.
ROUTING_READ = f"{TENANT_MATCHES} OR current_setting('{ROUTING_SETTING}', true) = 'on'"
# The counts of every standard threshold (``metrics.calls.rollup.STANDARD_THRESHOLDS``), one per element.
STANDARD_COUNTS = "integer[] NOT NULL DEFAULT '{}'"


def _routing_readable(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY_NAME} ON {table} USING ({ROUTING_READ}) WITH CHECK ({TENANT_MATCHES})")


def upgrade() -> None:
    # Which municipalities exist is no secret among them; the host's views across tenants list them.
    op.execute(f"DROP POLICY {POLICY_NAME} ON known_tenants")
    op.execute(f"CREATE POLICY {POLICY_NAME} ON known_tenants USING ({ROUTING_READ}) WITH CHECK ({TENANT_MATCHES})")
    op.execute(
        """
        ALTER TABLE known_tenants
            ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Berlin',
            ADD COLUMN status text NOT NULL DEFAULT 'active',
            ADD COLUMN version integer NOT NULL DEFAULT 0
        """
    )
    op.execute(
        """
        CREATE TABLE contract_versions (
            tenant_id text NOT NULL,
            version integer NOT NULL,
            effective_from timestamptz NOT NULL,
            terms jsonb NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_contract_versions PRIMARY KEY (tenant_id, version)
        )
        """
    )
    enable_tenant_rls(op, "contract_versions")
    op.execute(
        """
        CREATE TABLE lines (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            kind text NOT NULL,
            address text NOT NULL,
            removed boolean NOT NULL DEFAULT false,
            CONSTRAINT pk_lines PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_lines_address ON lines (address) WHERE NOT removed")
    _routing_readable("lines")
    op.execute(
        """
        CREATE TABLE grants (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            grantee_tenant text NOT NULL,
            valid_from timestamptz NOT NULL,
            valid_until timestamptz,
            removed boolean NOT NULL DEFAULT false,
            CONSTRAINT pk_grants PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_grants_grantee ON grants (grantee_tenant) WHERE NOT removed")
    _routing_readable("grants")
    op.execute(
        """
        CREATE TABLE call_events (
            tenant_id text NOT NULL,
            event_id text NOT NULL,
            call_id text NOT NULL,
            type text NOT NULL,
            at timestamptz NOT NULL,
            line text NOT NULL,
            agent text,
            talk_seconds integer,
            hold_seconds integer,
            after_call_work_seconds integer,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_call_events PRIMARY KEY (tenant_id, event_id)
        )
        """
    )
    enable_tenant_rls(op, "call_events")
    op.execute(
        """
        CREATE TABLE calls (
            tenant_id text NOT NULL,
            call_id text NOT NULL,
            line text NOT NULL,
            interval_start timestamptz,
            offered_at timestamptz,
            answered_at timestamptz,
            agent text,
            abandoned_at timestamptz,
            ended_at timestamptz,
            wait_seconds double precision,
            talk_seconds integer,
            hold_seconds integer,
            after_call_work_seconds integer,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_calls PRIMARY KEY (tenant_id, call_id),
            CONSTRAINT ck_calls_answered_or_abandoned CHECK (answered_at IS NULL OR abandoned_at IS NULL)
        )
        """
    )
    op.execute("CREATE INDEX ix_calls_interval ON calls (tenant_id, interval_start)")
    enable_tenant_rls(op, "calls")
    op.execute(
        f"""
        CREATE TABLE call_intervals (
            tenant_id text NOT NULL,
            interval_start timestamptz NOT NULL,
            contract_version integer,
            threshold_seconds integer NOT NULL,
            short_abandon_seconds integer NOT NULL,
            offered integer NOT NULL,
            answered integer NOT NULL,
            answered_within_threshold integer NOT NULL,
            abandoned integer NOT NULL,
            abandoned_within_threshold integer NOT NULL,
            short_abandons integer NOT NULL,
            answered_within {STANDARD_COUNTS},
            abandoned_within {STANDARD_COUNTS},
            wait_seconds double precision NOT NULL,
            abandoned_wait_seconds double precision NOT NULL,
            max_wait_seconds double precision NOT NULL,
            handled integer NOT NULL,
            talk_seconds bigint NOT NULL,
            hold_seconds bigint NOT NULL,
            after_call_work_seconds bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_call_intervals PRIMARY KEY (tenant_id, interval_start)
        )
        """
    )
    enable_tenant_rls(op, "call_intervals")
    # Events no line is known for: not any tenant's (so no tenant_id and no RLS), seen and released by operators.
    op.execute(
        """
        CREATE TABLE call_quarantine (
            id bigint GENERATED ALWAYS AS IDENTITY,
            event_id text NOT NULL,
            line text NOT NULL,
            event jsonb NOT NULL,
            reason text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            released_at timestamptz,
            released_to text,
            CONSTRAINT pk_call_quarantine PRIMARY KEY (id)
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX ux_call_quarantine_event ON call_quarantine (event_id)")
    op.execute("CREATE INDEX ix_call_quarantine_held ON call_quarantine (line) WHERE released_at IS NULL")


def downgrade() -> None:
    for table in ("call_quarantine", "call_intervals", "calls", "call_events", "grants", "lines", "contract_versions"):
        op.execute(f"DROP TABLE {table}")
    op.execute("ALTER TABLE known_tenants DROP COLUMN time_zone, DROP COLUMN status, DROP COLUMN version")
    op.execute(f"DROP POLICY {POLICY_NAME} ON known_tenants")
    op.execute(f"CREATE POLICY {POLICY_NAME} ON known_tenants USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")
