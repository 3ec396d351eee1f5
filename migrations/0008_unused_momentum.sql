-- Before optimizer constants could be set, every run stored momentum 0.9, used by the momentum
-- optimizer only: RMSprop trained with momentum 0. Momentum is now RMSprop's too (Keras' RMSprop
-- momentum, default 0), so the value no optimizer used is removed: such a run resumes, and its
-- params read, as it trained.
UPDATE runs
SET hyperparameters = json_remove(hyperparameters, '$.momentum')
WHERE json_type(hyperparameters, '$.momentum') IS NOT NULL
  AND coalesce(json_extract(hyperparameters, '$.optimizer'), 'adam') <> 'momentum';
