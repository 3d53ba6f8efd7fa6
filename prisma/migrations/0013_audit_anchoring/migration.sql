-- An audit trail an insider cannot rewrite unseen (issue 13).
--
-- 1. Appends go through audit_append(): it takes the head row's lock, computes each entry's payload
--    hash and entry hash itself (the same bytes as packages/audit/src/chain.ts) and moves the head.
--    It runs with its owner's rights and a pinned search_path; the application role may call it but
--    may no longer INSERT into audit_log, UPDATE audit_head or INSERT a checkpoint of its choosing.
-- 2. Checkpoints go through audit_add_checkpoint(): it refuses a checkpoint whose hash is not the
--    hash of the entry it names. Only the gateway signs them (a periodic job).
-- 3. audit_anchors: each checkpoint's RFC 3161 time-stamp reply (from TSA_URL), append-only; a
--    checkpoint without a row here waits for its token.

-- canonicalJson of one value as the chain hashes it: JSON.stringify and PostgreSQL's to_json escape
-- strings alike (\" \\ \b \f \n \r \t, \u00xx below 0x20, nothing else).
CREATE FUNCTION "audit_json"(v TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(to_json(v)::text, 'null')
$$;

-- p_entries: a JSON array of {tenant, actor, action, target, reason, recipient, payload}, where
-- payload is the canonical JSON text of the payload (the string "null" for none); the hash covers
-- sha256 of exactly those bytes, and jsonb stores them. p_at_ms: the entries' time (epoch ms).
CREATE FUNCTION "audit_append"(p_entries JSONB, p_at_ms BIGINT)
  RETURNS TABLE("seq" BIGINT, "at" TIMESTAMPTZ, "payload_hash" TEXT, "prev_hash" TEXT, "hash" TEXT)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  h_seq BIGINT;
  h_hash TEXT;
  e JSONB;
  v_at TIMESTAMPTZ;
  v_payload TEXT;
  v_phash TEXT;
  v_hash TEXT;
BEGIN
  IF jsonb_typeof(p_entries) <> 'array' THEN
    RAISE EXCEPTION 'audit_append: entries must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- the timestamp the hash covers must be the one stored (timestamptz(3), whole milliseconds)
  v_at := to_timestamp(0) + (p_at_ms::text || ' milliseconds')::interval;
  SELECT h."seq", h."hash" INTO h_seq, h_hash FROM "audit_head" h WHERE h."id" = 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_head is missing: run the migrations';
  END IF;
  FOR e IN SELECT * FROM jsonb_array_elements(p_entries) LOOP
    IF e->>'action' IS NULL THEN
      RAISE EXCEPTION 'audit_append: an entry has no action' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_payload := COALESCE(e->>'payload', 'null');
    v_phash := encode(sha256(convert_to(v_payload, 'UTF8')), 'hex');
    h_seq := h_seq + 1;
    -- keys in canonicalJson's order: action actor at payload prev reason recipient seq target tenant v
    v_hash := encode(sha256(convert_to(
      '{"action":' || "audit_json"(e->>'action')
      || ',"actor":' || "audit_json"(e->>'actor')
      || ',"at":' || p_at_ms::text
      || ',"payload":"' || v_phash
      || '","prev":"' || h_hash
      || '","reason":' || "audit_json"(e->>'reason')
      || ',"recipient":' || "audit_json"(e->>'recipient')
      || ',"seq":' || h_seq::text
      || ',"target":' || "audit_json"(e->>'target')
      || ',"tenant":' || "audit_json"(e->>'tenant')
      || ',"v":1}', 'UTF8')), 'hex');
    INSERT INTO "audit_log" ("seq", "tenant_id", "at", "actor", "action", "target", "reason", "recipient",
                             "payload", "payload_hash", "prev_hash", "hash")
      VALUES (h_seq, (e->>'tenant')::uuid, v_at, e->>'actor', e->>'action', e->>'target', e->>'reason',
              e->>'recipient', CASE WHEN v_payload = 'null' THEN NULL ELSE v_payload::jsonb END,
              v_phash, h_hash, v_hash);
    "seq" := h_seq; "at" := v_at; "payload_hash" := v_phash; "prev_hash" := h_hash; "hash" := v_hash;
    RETURN NEXT;
    h_hash := v_hash;
  END LOOP;
  UPDATE "audit_head" SET "seq" = h_seq, "hash" = h_hash WHERE "id" = 1;
END $$;

-- A signed checkpoint of an existing entry (the signature is the gateway's; the database checks
-- only that the checkpoint names a real entry by its real hash).
CREATE FUNCTION "audit_add_checkpoint"(p_seq BIGINT, p_at_ms BIGINT, p_statement TEXT, p_signature TEXT,
                                       p_signing_key TEXT)
  RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_hash TEXT;
  n BIGINT;
BEGIN
  SELECT l."hash" INTO v_hash FROM "audit_log" l WHERE l."seq" = p_seq;
  IF NOT FOUND OR (p_statement::jsonb)->>'hash' IS DISTINCT FROM v_hash
     OR ((p_statement::jsonb)->>'seq')::bigint IS DISTINCT FROM p_seq THEN
    RAISE EXCEPTION 'audit_add_checkpoint: seq % has no entry with that hash', p_seq
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO "audit_checkpoints" ("seq", "hash", "at", "statement", "signature", "signing_key")
    VALUES (p_seq, v_hash, to_timestamp(0) + (p_at_ms::text || ' milliseconds')::interval, p_statement,
            p_signature, p_signing_key)
    ON CONFLICT ("seq") DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE "audit_head" SET "checkpoint_seq" = GREATEST("checkpoint_seq", p_seq),
                          "checkpoint_at" = to_timestamp(0) + (p_at_ms::text || ' milliseconds')::interval
   WHERE "id" = 1;
  RETURN n > 0;
END $$;

-- The checkpoint job reads the head under its lock (so two gateways never sign two heads as one);
-- the application role may not lock audit_head itself (FOR UPDATE needs UPDATE), so this does, in the
-- caller's transaction.
CREATE FUNCTION "audit_lock_head"()
  RETURNS TABLE("seq" BIGINT, "hash" TEXT, "checkpoint_seq" BIGINT, "checkpoint_at" TIMESTAMPTZ)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT h."seq", h."hash", h."checkpoint_seq", h."checkpoint_at" FROM "audit_head" h WHERE h."id" = 1 FOR UPDATE
$$;

-- RFC 3161 time-stamp replies (DER, base64) over sha256(statement) of each checkpoint.
CREATE TABLE "audit_anchors" (
  "seq" BIGINT PRIMARY KEY REFERENCES "audit_checkpoints"("seq"),
  "tsa_reply" TEXT NOT NULL,
  "gen_time" TIMESTAMPTZ(3) NOT NULL,
  "anchored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE TRIGGER "audit_anchors_append_only" BEFORE UPDATE OR DELETE ON "audit_anchors"
  FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_anchors_no_truncate" BEFORE TRUNCATE ON "audit_anchors"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();

-- The application role: reads, appends through the functions, stores anchors. Nothing else.
REVOKE INSERT ON "audit_log", "audit_checkpoints" FROM "lagebild_app";
REVOKE UPDATE ON "audit_head" FROM "lagebild_app";
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_anchors" FROM PUBLIC;
GRANT SELECT, INSERT ON "audit_anchors" TO "lagebild_app";
REVOKE EXECUTE ON FUNCTION "audit_append"(JSONB, BIGINT), "audit_add_checkpoint"(BIGINT, BIGINT, TEXT, TEXT, TEXT),
  "audit_lock_head"() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit_append"(JSONB, BIGINT), "audit_add_checkpoint"(BIGINT, BIGINT, TEXT, TEXT, TEXT),
  "audit_lock_head"() TO "lagebild_app";
