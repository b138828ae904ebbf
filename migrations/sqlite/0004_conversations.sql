-- Questions asked of the advisors and their answers (with the tool calls
-- that made them), per company and advisor, oldest first.
CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    agent      TEXT    NOT NULL,
    at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    tool_calls TEXT    NOT NULL DEFAULT '[]'
) STRICT;

CREATE INDEX conversations_company ON conversations (company_id, agent, id);
