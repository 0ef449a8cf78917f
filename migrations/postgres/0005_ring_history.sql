-- Ring strategies read who answered last and how often (rrmemory, leastrecent,
-- fewestcalls) and who is on a call now (firstavailable).
CREATE INDEX calls_to_answered ON calls (to_number, answered_at);
CREATE INDEX calls_status ON calls (status);
