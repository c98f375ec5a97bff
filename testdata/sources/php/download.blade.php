@extends('layouts.app')

@section('content')
  <a class="btn" href="itms-services://?action=download-manifest&amp;url={{ urlencode($build->manifestUrl()) }}">Install {{ $build->version }}</a>
@endsection
