import { Effect, Schedule } from "effect"
import { Migrator, SqlClient } from "effect/sql"

// The advisory lock 0001's trigger took on every agent write (0002 drops it); kept so 0001 stays as it was applied.
const agentChangeLockKey = 7_316_001

/** The notification channel of agent changes; the payload is the change's sequence number. */
export const agentChangeChannel = "mc_agent_changes"

const createSchema = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`
    CREATE TABLE mc_organizations (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_organizations_name_idx ON mc_organizations (name)`
  yield* sql`
    CREATE TABLE mc_users (
      id uuid PRIMARY KEY,
      email text,
      name text,
      preferred_name text,
      pronouns text,
      timezone text,
      notes text,
      context text,
      active_organization_id uuid REFERENCES mc_organizations (id) ON DELETE SET NULL
    )`
  yield* sql`
    CREATE TABLE mc_organization_members (
      id uuid PRIMARY KEY,
      organization_id uuid NOT NULL REFERENCES mc_organizations (id),
      user_id uuid NOT NULL REFERENCES mc_users (id),
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
      all_boards_read boolean NOT NULL DEFAULT false,
      all_boards_write boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT mc_organization_members_org_user_key UNIQUE (organization_id, user_id)
    )`
  yield* sql`CREATE INDEX mc_organization_members_user_idx ON mc_organization_members (user_id, created_at)`
  yield* sql`
    CREATE TABLE mc_gateways (
      id uuid PRIMARY KEY,
      organization_id uuid NOT NULL REFERENCES mc_organizations (id),
      name text NOT NULL,
      url text NOT NULL,
      token text,
      workspace_root text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_gateways_organization_idx ON mc_gateways (organization_id, created_at DESC, id DESC)`
  yield* sql`
    CREATE TABLE mc_boards (
      id uuid PRIMARY KEY,
      organization_id uuid NOT NULL REFERENCES mc_organizations (id),
      name text NOT NULL,
      slug text NOT NULL,
      description text NOT NULL DEFAULT '',
      gateway_id uuid REFERENCES mc_gateways (id),
      board_type text NOT NULL DEFAULT 'goal',
      objective text,
      success_metrics jsonb,
      target_date timestamptz,
      goal_confirmed boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_boards_organization_idx ON mc_boards (organization_id)`
  yield* sql`CREATE INDEX mc_boards_gateway_idx ON mc_boards (gateway_id, created_at)`
  yield* sql`
    CREATE TABLE mc_board_access (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES mc_organization_members (id) ON DELETE CASCADE,
      board_id uuid NOT NULL REFERENCES mc_boards (id) ON DELETE CASCADE,
      can_read boolean NOT NULL DEFAULT true,
      can_write boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT mc_board_access_member_board_key UNIQUE (member_id, board_id)
    )`
  yield* sql`
    CREATE TABLE mc_agents (
      id uuid PRIMARY KEY,
      board_id uuid REFERENCES mc_boards (id),
      gateway_id uuid NOT NULL REFERENCES mc_gateways (id),
      name text NOT NULL,
      status text NOT NULL DEFAULT 'provisioning',
      openclaw_session_id text,
      agent_token_digest text,
      heartbeat_config jsonb,
      identity_profile jsonb,
      identity_template text,
      soul_template text,
      provision_requested_at timestamptz,
      provision_confirm_token_hash text,
      provision_action text,
      last_provision_error text,
      delete_requested_at timestamptz,
      delete_confirm_token_hash text,
      last_seen_at timestamptz,
      is_board_lead boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`
  // The rules the programs rely on, enforced where races cannot get past them.
  yield* sql`CREATE UNIQUE INDEX mc_agents_board_name_key ON mc_agents (board_id, lower(name)) WHERE board_id IS NOT NULL`
  yield* sql`CREATE UNIQUE INDEX mc_agents_board_lead_key ON mc_agents (board_id) WHERE is_board_lead AND board_id IS NOT NULL`
  yield* sql`CREATE UNIQUE INDEX mc_agents_gateway_main_key ON mc_agents (gateway_id) WHERE board_id IS NULL`
  yield* sql`CREATE UNIQUE INDEX mc_agents_token_digest_key ON mc_agents (agent_token_digest)`
  yield* sql`CREATE INDEX mc_agents_board_idx ON mc_agents (board_id, created_at)`
  yield* sql`CREATE INDEX mc_agents_gateway_idx ON mc_agents (gateway_id)`
  yield* sql`CREATE INDEX mc_agents_created_idx ON mc_agents (created_at DESC, id DESC)`
  yield* sql`CREATE INDEX mc_agents_updated_idx ON mc_agents (updated_at)`
  yield* sql`CREATE INDEX mc_agents_last_seen_idx ON mc_agents (last_seen_at)`
  yield* sql`CREATE INDEX mc_agents_name_idx ON mc_agents (name)`
  yield* sql`CREATE INDEX mc_agents_pending_idx ON mc_agents (provision_requested_at) WHERE provision_action IS NOT NULL`
  yield* sql`
    CREATE TABLE mc_tasks (
      id uuid PRIMARY KEY,
      board_id uuid REFERENCES mc_boards (id),
      status text NOT NULL DEFAULT 'inbox',
      in_progress_at timestamptz,
      assigned_agent_id uuid REFERENCES mc_agents (id),
      updated_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_tasks_assigned_agent_idx ON mc_tasks (assigned_agent_id)`
  yield* sql`
    CREATE TABLE mc_activity_events (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      event_type text NOT NULL,
      message text,
      agent_id uuid REFERENCES mc_agents (id),
      task_id uuid REFERENCES mc_tasks (id),
      created_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_activity_events_created_idx ON mc_activity_events (created_at DESC, seq DESC)`
  yield* sql`CREATE INDEX mc_activity_events_agent_idx ON mc_activity_events (agent_id, created_at, seq)`
  yield* sql`CREATE INDEX mc_activity_events_type_idx ON mc_activity_events (event_type)`
  yield* sql`
    CREATE TABLE mc_board_memory (
      id uuid PRIMARY KEY,
      board_id uuid NOT NULL REFERENCES mc_boards (id) ON DELETE CASCADE,
      content text NOT NULL,
      tags jsonb,
      is_chat boolean NOT NULL DEFAULT false,
      source text,
      created_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX mc_board_memory_chat_idx ON mc_board_memory (board_id, created_at DESC) WHERE is_chat`

  // The change feed: every committed agent write leaves a numbered row with the agent as written, and a NOTIFY.
  yield* sql`
    CREATE TABLE mc_agent_changes (
      sequence bigserial PRIMARY KEY,
      agent_id uuid NOT NULL,
      board_id uuid,
      gateway_id uuid NOT NULL,
      agent jsonb,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX mc_agent_changes_changed_idx ON mc_agent_changes (changed_at)`
  yield* sql.unsafe(`
    CREATE FUNCTION mc_agents_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      next_sequence bigint;
    BEGIN
      -- Serialise change numbering with commit order (the repository takes the same lock before writing).
      PERFORM pg_advisory_xact_lock(${agentChangeLockKey});
      IF TG_OP = 'DELETE' THEN
        INSERT INTO mc_agent_changes (agent_id, board_id, gateway_id, agent)
        VALUES (OLD.id, OLD.board_id, OLD.gateway_id, NULL)
        RETURNING sequence INTO next_sequence;
      ELSE
        INSERT INTO mc_agent_changes (agent_id, board_id, gateway_id, agent)
        VALUES (NEW.id, NEW.board_id, NEW.gateway_id, to_jsonb(NEW))
        RETURNING sequence INTO next_sequence;
      END IF;
      PERFORM pg_notify('${agentChangeChannel}', next_sequence::text);
      RETURN NULL;
    END
    $$`)
  yield* sql`
    CREATE TRIGGER mc_agents_record_change AFTER INSERT OR UPDATE OR DELETE ON mc_agents
    FOR EACH ROW EXECUTE FUNCTION mc_agents_record_change()`
})

// The change feed without a lock: each change row records the transaction that wrote it, and the hub hands out
// changes in sequence order only up to a point no running transaction can still write below
// (PgAgentChanges.ts). Rows written before this migration have no transaction id: they were numbered under 0001's
// lock, in commit order.
const unlockedChangeFeed = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`ALTER TABLE mc_agent_changes ADD COLUMN xact_id xid8`
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION mc_agents_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      next_sequence bigint;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO mc_agent_changes (agent_id, board_id, gateway_id, agent, xact_id)
        VALUES (OLD.id, OLD.board_id, OLD.gateway_id, NULL, pg_current_xact_id())
        RETURNING sequence INTO next_sequence;
      ELSE
        INSERT INTO mc_agent_changes (agent_id, board_id, gateway_id, agent, xact_id)
        VALUES (NEW.id, NEW.board_id, NEW.gateway_id, to_jsonb(NEW), pg_current_xact_id())
        RETURNING sequence INTO next_sequence;
      END IF;
      PERFORM pg_notify('${agentChangeChannel}', next_sequence::text);
      RETURN NULL;
    END
    $$`)
})

// The reference's later board rules and gateway connection options, and the agent's last heartbeat.
const boardRulesAndGatewayOptions = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`
    ALTER TABLE mc_boards
      ADD COLUMN goal_source text,
      ADD COLUMN board_group_id uuid,
      ADD COLUMN require_approval_for_done boolean NOT NULL DEFAULT true,
      ADD COLUMN require_review_before_done boolean NOT NULL DEFAULT false,
      ADD COLUMN comment_required_for_review boolean NOT NULL DEFAULT false,
      ADD COLUMN block_status_changes_with_pending_approval boolean NOT NULL DEFAULT false,
      ADD COLUMN only_lead_can_change_status boolean NOT NULL DEFAULT false,
      ADD COLUMN max_agents integer NOT NULL DEFAULT 1 CHECK (max_agents >= 0)`
  yield* sql`CREATE INDEX mc_boards_organization_created_idx ON mc_boards (organization_id, created_at DESC, id DESC)`
  yield* sql`
    ALTER TABLE mc_gateways
      ADD COLUMN allow_insecure_tls boolean NOT NULL DEFAULT false,
      ADD COLUMN disable_device_pairing boolean NOT NULL DEFAULT false`
  yield* sql`ALTER TABLE mc_agents ADD COLUMN last_heartbeat_at timestamptz`
})

// Request counts of the shared rate limits (PgRateLimitStore): one row per key, its current and previous window.
const rateLimits = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`
    CREATE TABLE mc_rate_limits (
      key text PRIMARY KEY,
      window_start bigint NOT NULL,
      hits integer NOT NULL,
      previous_hits integer NOT NULL
    )`
})

// The reference's later agent lifecycle (check-in after a wake, re-wake, offline), and the grace of a rotated-out
// token. The partial indexes serve the check-in sweep and the previous-token lookup, and hold only the few rows
// concerned.
const lifecycle = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`
    ALTER TABLE mc_agents
      ADD COLUMN lifecycle_generation integer NOT NULL DEFAULT 0,
      ADD COLUMN wake_attempts integer NOT NULL DEFAULT 0,
      ADD COLUMN last_wake_sent_at timestamptz,
      ADD COLUMN checkin_deadline_at timestamptz,
      ADD COLUMN previous_token_digest text,
      ADD COLUMN previous_token_valid_until timestamptz`
  yield* sql`
    CREATE INDEX mc_agents_checkin_due_idx ON mc_agents (checkin_deadline_at)
    WHERE checkin_deadline_at IS NOT NULL`
  yield* sql`
    CREATE INDEX mc_agents_previous_token_digest_idx ON mc_agents (previous_token_digest)
    WHERE previous_token_digest IS NOT NULL`
})

// Agents adopted from their gateway keep the id they had there. One record per gateway agent of a gateway, also when
// two processes adopt the same agent at once.
const adoptedAgents = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  yield* sql`ALTER TABLE mc_agents ADD COLUMN adopted_gateway_agent_id text`
  yield* sql`
    CREATE UNIQUE INDEX mc_agents_adopted_gateway_agent_key ON mc_agents (gateway_id, adopted_gateway_agent_id)
    WHERE adopted_gateway_agent_id IS NOT NULL`
})

/** The migrations of this adapter, in order. Applied ones are never edited: a change is a new migration. */
export const migrations = {
  "0001_mission_control_schema": createSchema,
  "0002_unlocked_change_feed": unlockedChangeFeed,
  "0003_board_rules_gateway_options": boardRulesAndGatewayOptions,
  "0004_rate_limits": rateLimits,
  "0005_lifecycle": lifecycle,
  "0006_adopted_agents": adoptedAgents
}

const runMigrator = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "mc_migrations"
})

/**
 * Runs the migrations not yet recorded in `mc_migrations` (our own table, so the host's migrations never collide with
 * ours). Safe to run twice and from several processes at once: the migrator locks its table while it works, and the
 * one race it has, two processes creating that table at the same moment, is retried.
 */
export const migrate = runMigrator.pipe(
  Effect.retry({ times: 3, schedule: Schedule.spaced("50 millis") })
)
