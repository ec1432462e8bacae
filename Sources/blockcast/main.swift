// The whole program lives in BlockcastCommand; this file only starts it.
BlockcastCommand.main()
