module bookgo

go 1.19
