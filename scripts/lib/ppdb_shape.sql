-- One JSON line describing a PPDB's shape, to set synth beside the TOM's snapshot (scripts/bench).
-- Per-alert figures from a 2 % sample of WFD sources.
SELECT json_build_object(
  'kind', 'shape', 'data', :'label',
  'objects', (SELECT count(*) FROM elasticc2_ppdbdiaobject),
  'ddf_objects', (SELECT count(*) FROM elasticc2_ppdbdiaobject WHERE isddf),
  'alerts', (SELECT count(*) FROM elasticc2_ppdbalert),
  'forced_per_object', (SELECT round((SELECT count(*) FROM elasticc2_ppdbdiaforcedsource)::numeric / greatest(1, (SELECT count(*) FROM elasticc2_ppdbdiaobject)), 1)),
  'forced_span_days', (SELECT round(avg(span)::numeric, 1) FROM (SELECT max(midpointtai) - min(midpointtai) AS span FROM elasticc2_ppdbdiaforcedsource
                         WHERE diaobject_id IN (SELECT diaobject_id FROM elasticc2_ppdbdiaobject TABLESAMPLE SYSTEM (2)) GROUP BY diaobject_id) x),
  'prv_sources_per_alert', (SELECT round(avg((SELECT count(*) FROM elasticc2_ppdbdiasource p
                              WHERE p.diaobject_id = s.diaobject_id AND p.midpointtai < s.midpointtai AND p.midpointtai >= s.midpointtai - 365)), 1)
                              FROM elasticc2_ppdbdiasource s TABLESAMPLE SYSTEM (2) JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE NOT o.isddf),
  'objects_per_5000_alerts', (SELECT round(avg(n)) FROM (SELECT count(DISTINCT diaobject_id) n FROM
                               (SELECT diaobject_id, (row_number() OVER (ORDER BY midpointtai, diasource_id) - 1) / 5000 AS b FROM elasticc2_ppdbdiasource) x
                               GROUP BY b) y),
  'physical_order', (SELECT round(correlation::numeric, 2) FROM pg_stats WHERE tablename = 'elasticc2_ppdbdiaforcedsource' AND attname = 'diaobject_id'));
