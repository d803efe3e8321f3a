"""Webhooks.

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import TENANT_MATCHES, enable_tenant_rls, rls_statements

revision = "20261123_0004"
down_revision = "20261123_0003"
branch_labels = None
depends_on = None

# The dispatcher claims due deliveries of every tenant, and only deliveries: subscriptions (with their
# secrets) and the attempts stay sealed per tenant; it reads and records each delivery for its tenant.
_DISPATCH = f"{TENANT_MATCHES} OR current_setting('app.webhook_dispatch', true) = 'on'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE webhook_subscriptions (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            url text NOT NULL,
            event_types text[] NOT NULL DEFAULT '{}',
            description text NOT NULL DEFAULT '',
            enabled boolean NOT NULL DEFAULT true,
            secret text NOT NULL,
            previous_secret text,
            previous_secret_expires_at timestamptz,
            idempotency_key text,
            request_hash text,
            version integer NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_webhook_subscriptions PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_webhook_subscriptions_tenant_id_idempotency_key UNIQUE (tenant_id, idempotency_key),
            CONSTRAINT fk_webhook_subscriptions_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_webhook_subscriptions_listed ON webhook_subscriptions (tenant_id, created_at DESC, id DESC)"
    )
    enable_tenant_rls(op, "webhook_subscriptions")
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            subscription_id uuid NOT NULL,
            event_id uuid NOT NULL,
            event_type text NOT NULL,
            payload bytea NOT NULL,
            status text NOT NULL DEFAULT 'pending',
            attempt_count integer NOT NULL DEFAULT 0,
            series_attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz,
            claim_token uuid,
            manual_requested boolean NOT NULL DEFAULT false,
            last_attempt_at timestamptz,
            last_response_status integer,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_webhook_deliveries PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_webhook_deliveries_tenant_id_subscription_id_event_id
                UNIQUE (tenant_id, subscription_id, event_id),
            CONSTRAINT fk_webhook_deliveries_tenant_id_subscription_id_webhook_subscriptions
                FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id)
                ON DELETE CASCADE,
            CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) "
        "WHERE status = 'pending' AND next_attempt_at IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_listed "
        "ON webhook_deliveries (tenant_id, subscription_id, created_at DESC, id DESC)"
    )
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status <> 'pending'"
    )
    for statement in rls_statements("webhook_deliveries", predicate=_DISPATCH):
        op.execute(statement)
    op.execute(
        """
        CREATE TABLE webhook_delivery_attempts (
            tenant_id text NOT NULL,
            delivery_id uuid NOT NULL,
            number integer NOT NULL,
            attempted_at timestamptz NOT NULL,
            trigger text NOT NULL,
            response_status integer,
            duration_ms integer NOT NULL,
            error text,
            response_excerpt text,
            CONSTRAINT pk_webhook_delivery_attempts PRIMARY KEY (tenant_id, delivery_id, number),
            CONSTRAINT fk_webhook_delivery_attempts_tenant_id_delivery_id_webhook_deliveries
                FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE,
            CONSTRAINT ck_webhook_delivery_attempts_trigger CHECK (trigger IN ('scheduled', 'manual'))
        )
        """
    )
    enable_tenant_rls(op, "webhook_delivery_attempts")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_delivery_attempts")
    op.execute("DROP TABLE webhook_deliveries")
    op.execute("DROP TABLE webhook_subscriptions")
