module dwtrace/samples/go_app

go 1.19
