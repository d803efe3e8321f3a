"""Contacts, tickets and their history; read copies of contracts, departments and request types.

A contact is every interaction with a caller; a concern that was not solved at once becomes a ticket for
a department, due at the instant the tenant's contract rule gives in its business time. The caller's
personal data live only in ``contacts`` (the facts for figures stay when they are anonymised). The read
copies (contract versions, departments, Open311 request types, the tenant's time zone and state) come from
the tenants and knowledge events, so forwarding never calls another service.

Revision ID: 20261124_0002
Revises: 20261123_0001
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import TENANT_MATCHES, enable_tenant_rls, rls_statements

revision = "20261124_0002"
down_revision = "20261123_0001"
branch_labels = None
depends_on = None

_TABLES = (
    "contract_versions",
    "departments",
    "request_types",
    "contacts",
    "tickets",
    "ticket_notes",
    "ticket_changes",
    "personal_data_accesses",
)
OPEN = "('forwarded', 'in_progress', 'waiting')"
# The worker's loops (deadline watch, retention) find work of every tenant through these two tables only:
# which tenants exist, and which instants are due. Everything else they do in the ticket's tenant.
MAINTENANCE = f"{TENANT_MATCHES} OR current_setting('app.tickets_maintenance', true) = 'on'"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE known_tenants
            ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Berlin',
            ADD COLUMN state text,
            ADD COLUMN open311_jurisdiction_id text,
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
    op.execute("CREATE INDEX ix_contract_versions_in_force ON contract_versions (tenant_id, effective_from DESC)")
    op.execute(
        """
        CREATE TABLE departments (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            name text NOT NULL,
            email text,
            phone text,
            leika_keys text[] NOT NULL DEFAULT '{}',
            version integer NOT NULL,
            deleted boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL,
            CONSTRAINT pk_departments PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_departments_leika_keys ON departments USING gin (leika_keys)")
    op.execute(
        """
        CREATE TABLE request_types (
            tenant_id text NOT NULL,
            code text NOT NULL,
            description_id uuid NOT NULL,
            name text NOT NULL,
            description text,
            group_name text,
            keywords text[] NOT NULL DEFAULT '{}',
            attributes jsonb NOT NULL DEFAULT '[]',
            leika_key text,
            changed_at timestamptz NOT NULL,
            CONSTRAINT pk_request_types PRIMARY KEY (tenant_id, code),
            CONSTRAINT uq_request_types_tenant_id_description_id UNIQUE (tenant_id, description_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE contacts (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            channel text NOT NULL,
            started_at timestamptz NOT NULL,
            ended_at timestamptz NOT NULL,
            agent text NOT NULL,
            description_ids uuid[] NOT NULL DEFAULT '{}',
            leika_key text,
            summary text,
            outcome text NOT NULL,
            referred_to text,
            caller_name text,
            caller_phone text,
            caller_email text,
            caller_address text,
            anonymised_at timestamptz,
            idempotency_key text,
            request_hash text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_contacts PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_contacts_tenant_id_idempotency_key UNIQUE (tenant_id, idempotency_key),
            CONSTRAINT ck_contacts_channel CHECK (channel IN ('phone', 'email', 'chat', 'walk_in', 'web')),
            CONSTRAINT ck_contacts_outcome CHECK (outcome IN ('solved', 'forwarded', 'callback', 'referred')),
            CONSTRAINT ck_contacts_times CHECK (ended_at >= started_at)
        )
        """
    )
    op.execute("CREATE INDEX ix_contacts_started_at ON contacts (tenant_id, started_at DESC, id DESC)")
    op.execute(
        "CREATE INDEX ix_contacts_caller_phone ON contacts (tenant_id, caller_phone) WHERE caller_phone IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_contacts_caller_email ON contacts (tenant_id, lower(caller_email))"
        " WHERE caller_email IS NOT NULL"
    )
    # What the retention sweep looks through: contacts not yet anonymised, oldest first.
    op.execute("CREATE INDEX ix_contacts_personal ON contacts (tenant_id, ended_at) WHERE anonymised_at IS NULL")
    op.execute(
        """
        CREATE TABLE tickets (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            contact_id uuid NOT NULL,
            department_id uuid,
            source text NOT NULL DEFAULT 'contact',
            status text NOT NULL DEFAULT 'forwarded',
            priority text NOT NULL DEFAULT 'normal',
            subject text NOT NULL,
            description_ids uuid[] NOT NULL DEFAULT '{}',
            leika_key text,
            reply_by text,
            forwarded_at timestamptz NOT NULL,
            forwarded_by text NOT NULL,
            contract_version integer,
            deadline_rule text,
            due_at timestamptz,
            warn_at timestamptz,
            paused_at timestamptz,
            paused_remaining interval,
            claimed_by text,
            claimed_at timestamptz,
            answered_at timestamptz,
            answered_by text,
            answer_channel text,
            answer text,
            closed_at timestamptz,
            closed_by text,
            reopen_count integer NOT NULL DEFAULT 0,
            merged_into uuid,
            warned_at timestamptz,
            escalated_at timestamptz,
            service_code text,
            latitude double precision,
            longitude double precision,
            address text,
            version integer NOT NULL DEFAULT 1,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_tickets PRIMARY KEY (tenant_id, id),
            CONSTRAINT fk_tickets_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
            CONSTRAINT fk_tickets_department FOREIGN KEY (tenant_id, department_id)
                REFERENCES departments (tenant_id, id),
            CONSTRAINT fk_tickets_merged_into FOREIGN KEY (tenant_id, merged_into) REFERENCES tickets (tenant_id, id),
            CONSTRAINT ck_tickets_source CHECK (source IN ('contact', 'open311')),
            CONSTRAINT ck_tickets_status
                CHECK (status IN ('forwarded', 'in_progress', 'waiting', 'answered', 'closed')),
            CONSTRAINT ck_tickets_priority CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
            CONSTRAINT ck_tickets_reply_by CHECK (reply_by IN ('callback', 'email', 'letter')),
            CONSTRAINT ck_tickets_answer_channel CHECK (answer_channel IN ('callback', 'email', 'letter'))
        )
        """
    )
    # The back office's work list: a department's open concerns by due instant (null: no deadline, last).
    op.execute(
        "CREATE INDEX ix_tickets_open_by_department ON tickets (tenant_id, department_id, due_at, id)"
        f" WHERE status IN {OPEN}"
    )
    op.execute("CREATE INDEX ix_tickets_by_department ON tickets (tenant_id, department_id, forwarded_at DESC, id)")
    op.execute("CREATE INDEX ix_tickets_forwarded_at ON tickets (tenant_id, forwarded_at DESC, id)")
    op.execute("CREATE INDEX ix_tickets_contact ON tickets (tenant_id, contact_id)")
    op.execute(
        """
        CREATE TABLE ticket_notes (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            ticket_id uuid NOT NULL,
            author text NOT NULL,
            body text NOT NULL,
            public boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_ticket_notes PRIMARY KEY (tenant_id, id),
            CONSTRAINT fk_ticket_notes_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_ticket_notes_ticket ON ticket_notes (tenant_id, ticket_id, created_at)")
    op.execute(
        """
        CREATE TABLE ticket_changes (
            tenant_id text NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            ticket_id uuid NOT NULL,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            action text NOT NULL,
            before jsonb,
            after jsonb,
            CONSTRAINT pk_ticket_changes PRIMARY KEY (tenant_id, id),
            CONSTRAINT fk_ticket_changes_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_ticket_changes_ticket ON ticket_changes (tenant_id, ticket_id, id)")
    op.execute(
        """
        CREATE TABLE personal_data_accesses (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            actor_tenant text,
            action text NOT NULL,
            contact_ids uuid[] NOT NULL DEFAULT '{}',
            ticket_id uuid,
            request_id text,
            CONSTRAINT pk_personal_data_accesses PRIMARY KEY (tenant_id, id),
            CONSTRAINT ck_personal_data_accesses_action CHECK (action IN ('read', 'export', 'erasure'))
        )
        """
    )
    op.execute("CREATE INDEX ix_personal_data_accesses_at ON personal_data_accesses (tenant_id, at DESC, id DESC)")
    op.execute(
        """
        CREATE TABLE deadline_watch (
            tenant_id text NOT NULL,
            ticket_id uuid NOT NULL,
            kind text NOT NULL,
            at timestamptz NOT NULL,
            CONSTRAINT pk_deadline_watch PRIMARY KEY (tenant_id, ticket_id, kind),
            CONSTRAINT fk_deadline_watch_ticket FOREIGN KEY (tenant_id, ticket_id)
                REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
            CONSTRAINT ck_deadline_watch_kind CHECK (kind IN ('warning', 'escalation'))
        )
        """
    )
    op.execute("CREATE INDEX ix_deadline_watch_at ON deadline_watch (at)")
    for table in _TABLES:
        enable_tenant_rls(op, table)
    op.execute("DROP POLICY tenant_isolation ON known_tenants")
    for table in ("known_tenants", "deadline_watch"):
        for statement in rls_statements(table, predicate=MAINTENANCE):
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE deadline_watch")
    op.execute("DROP POLICY tenant_isolation ON known_tenants")
    enable_tenant_rls(op, "known_tenants")
    for table in reversed(_TABLES):
        op.execute(f'DROP TABLE "{table}"')
    op.execute(
        "ALTER TABLE known_tenants DROP COLUMN time_zone, DROP COLUMN state, DROP COLUMN open311_jurisdiction_id,"
        " DROP COLUMN status, DROP COLUMN version"
    )
