"""API clients and their keys.

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0003"
down_revision = "20261123_0002"
branch_labels = None
depends_on = None

# The gateway presents a key before it knows the tenant. Verification finds the key by its public prefix
# across tenants: reads only, only of api_keys (prefix, digest, owner, validity), and only in a transaction
# that asks for it. Clients' names and scopes, and every write, stay sealed per tenant.
_KEY_VERIFICATION_READ = "current_setting('app.key_verification', true) = 'on'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_clients (
            tenant_id text NOT NULL,
            client_id uuid NOT NULL,
            name text NOT NULL,
            description text NOT NULL DEFAULT '',
            scopes text[] NOT NULL,
            status text NOT NULL DEFAULT 'active',
            version integer NOT NULL DEFAULT 1,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            revoked_by text,
            last_used_at timestamptz,
            CONSTRAINT pk_api_clients PRIMARY KEY (tenant_id, client_id),
            CONSTRAINT fk_api_clients_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
            CONSTRAINT ck_api_clients_status CHECK (status IN ('active', 'revoked')),
            CONSTRAINT ck_api_clients_revoked_at CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
            CONSTRAINT ck_api_clients_scopes CHECK (cardinality(scopes) > 0)
        )
        """
    )
    # A name is taken only while its client is active: a revoked client's name may be given again.
    op.execute(
        "CREATE UNIQUE INDEX uq_api_clients_tenant_id_name ON api_clients (tenant_id, name) WHERE status = 'active'"
    )
    op.execute("CREATE INDEX ix_api_clients_tenant_id_created_at ON api_clients (tenant_id, created_at, client_id)")
    op.execute(
        """
        CREATE TABLE api_keys (
            tenant_id text NOT NULL,
            key_id uuid NOT NULL,
            client_id uuid NOT NULL,
            prefix text NOT NULL,
            key_hash bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            valid_until timestamptz,
            revoked_at timestamptz,
            last_used_at timestamptz,
            CONSTRAINT pk_api_keys PRIMARY KEY (tenant_id, key_id),
            CONSTRAINT fk_api_keys_tenant_id_client_id_api_clients
                FOREIGN KEY (tenant_id, client_id) REFERENCES api_clients (tenant_id, client_id),
            CONSTRAINT ck_api_keys_prefix CHECK (prefix ~ '^[a-z2-7]{8}$'),
            CONSTRAINT ck_api_keys_key_hash CHECK (octet_length(key_hash) = 32)
        )
        """
    )
    # Not unique: a unique key must hold tenant_id, and two tenants' random prefixes may (rarely) collide;
    # verification compares the digest of every key under the prefix.
    op.execute("CREATE INDEX ix_api_keys_prefix ON api_keys (prefix)")
    op.execute("CREATE INDEX ix_api_keys_tenant_id_client_id ON api_keys (tenant_id, client_id)")
    for table in ("api_clients", "api_keys"):
        enable_tenant_rls(op, table)
    op.execute(f"CREATE POLICY key_verification ON api_keys FOR SELECT USING ({_KEY_VERIFICATION_READ})")


def downgrade() -> None:
    op.execute("DROP TABLE api_keys")
    op.execute("DROP TABLE api_clients")
